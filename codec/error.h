// Typed errors shared by every srsfs library. A message must name the file or object and the cause in
// words a user understands; the code lets callers map errors (e.g. to errno in the FUSE layer).
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace srsfs {

enum class Errc {
  invalid_argument,  // the caller asked for something impossible (bad option, wrong sizes)
  corrupt,           // stored or input bytes fail a structural or checksum test
  unsupported,       // valid input the fast path does not handle (a fallback may)
  io,                // the operating system refused a read, write, rename, fsync ...
  no_space,          // disk or map full; nothing half-written
  not_found,
  internal,          // a broken invariant: a bug in srsfs
};

const char* errc_name(Errc c) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

template <typename... Args>
[[noreturn]] void fail(Errc code, fmt::format_string<Args...> f, Args&&... args) {
  throw Error(code, fmt::format(f, std::forward<Args>(args)...));
}

// Throws Errc::corrupt with `what` unless `cond` holds: for checks on untrusted bytes.
inline void require(bool cond, const char* what) {
  if (!cond) throw Error(Errc::corrupt, what);
}

}  // namespace srsfs
