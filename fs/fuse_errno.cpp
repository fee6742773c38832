#include "fs/fuse_errno.h"

#include <new>

#include <spdlog/spdlog.h>

#include "codec/error.h"

namespace srsfs::fs {

void throw_errno(const std::string& what) { throw SysError(errno, what); }

namespace {
int errno_for(Errc c) {
  switch (c) {
    case Errc::invalid_argument: return EINVAL;
    case Errc::unsupported: return ENOTSUP;
    case Errc::no_space: return ENOSPC;
    case Errc::not_found: return ENOENT;
    case Errc::corrupt:
    case Errc::io:
    case Errc::internal: return EIO;
  }
  return EIO;
}
}  // namespace

int errno_for_current_exception(const char* op) noexcept {
  try {
    throw;
  } catch (const SysError& e) {
    // Expected refusals (ENOENT on lookup, EEXIST ...) are routine: debug only.
    spdlog::debug("{}: {}", op, e.what());
    return e.err();
  } catch (const Error& e) {
    int err = errno_for(e.code());
    if (err == EIO) {
      spdlog::error("{}: {}", op, e.what());
    } else {
      spdlog::debug("{}: {}", op, e.what());
    }
    return err;
  } catch (const std::bad_alloc&) {
    spdlog::error("{}: out of memory", op);
    return ENOMEM;
  } catch (const std::exception& e) {
    spdlog::error("{}: {}", op, e.what());
    return EIO;
  } catch (...) {
    spdlog::error("{}: unknown exception", op);
    return EIO;
  }
}

}  // namespace srsfs::fs
