// Errors inside the FUSE operations and their mapping to the errno the kernel receives. Operations throw;
// only the boundary (FuseFilesystem's op trampolines) turns an exception into fuse_reply_err.
#pragma once
#include <cerrno>
#include <exception>
#include <stdexcept>
#include <string>

namespace srsfs::fs {

// A failed system call or a refused operation, carrying the errno to give the kernel.
class SysError : public std::runtime_error {
 public:
  SysError(int err, const std::string& what) : std::runtime_error(what), err_(err) {}
  int err() const noexcept { return err_; }

 private:
  int err_;
};

// Throws SysError(errno, what) for the errno the last call left.
[[noreturn]] void throw_errno(const std::string& what);
// Throws SysError(err, what).
[[noreturn]] inline void refuse(int err, const std::string& what) { throw SysError(err, what); }
// Returns the errno for the exception in flight (call inside catch): SysError's own, srsfs::Error by its
// Errc, bad_alloc -> ENOMEM, anything else -> EIO. Logs what the user should see (EIO-class at error).
int errno_for_current_exception(const char* op) noexcept;

}  // namespace srsfs::fs
