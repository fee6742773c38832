#include "codec/error.h"

namespace srsfs {

const char* errc_name(Errc c) noexcept {
  switch (c) {
    case Errc::invalid_argument: return "invalid argument";
    case Errc::corrupt: return "corrupt data";
    case Errc::unsupported: return "unsupported";
    case Errc::io: return "I/O error";
    case Errc::no_space: return "no space";
    case Errc::not_found: return "not found";
    case Errc::internal: return "internal error";
  }
  return "error";
}

}  // namespace srsfs
