// Small RAII file helpers over POSIX calls, with errors that name the file and the cause.
#pragma once
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <utility>

#include "codec/bytes.h"

namespace srsfs {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

UniqueFd open_or_throw(const std::filesystem::path& p, int flags, int mode = 0644);
Bytes read_whole_file(const std::filesystem::path& p);
// Reads exactly out.size() bytes at offset; Errc::corrupt when the file is shorter (a truncated archive).
void pread_exact(int fd, std::span<uint8_t> out, uint64_t offset, const std::filesystem::path& name);
void write_all(int fd, ByteSpan data, const std::filesystem::path& name);
void pwrite_all(int fd, ByteSpan data, uint64_t offset, const std::filesystem::path& name);
void fsync_or_throw(int fd, const std::filesystem::path& name);
void fsync_dir(const std::filesystem::path& dir);
struct stat stat_or_throw(const std::filesystem::path& p);
// Creates a new file beside `final_path` under a fresh name (FINAL.srsfs-tmp-XXXXXXXX) with
// O_CREAT|O_EXCL|O_NOFOLLOW, so neither a planted symlink nor a stale temporary is ever opened. `mode` is
// narrowed by the umask as usual (a front end's user keeps their umask; the daemon's private files go through
// fs/private_dir.h instead). Returns the read-write descriptor and sets `tmp` to the name used.
UniqueFd create_temp_beside(const std::filesystem::path& final_path, unsigned mode, std::filesystem::path& tmp);
// Writes `data` to `p` atomically: temporary file (create_temp_beside), rename. With `durable`, also fsyncs the file before the
// rename and the directory after it (callers writing many files may instead sync once at the end).
void write_file_atomic(const std::filesystem::path& p, ByteSpan data, unsigned mode = 0644, bool durable = true);
// syncfs() of the filesystem holding `p`.
void sync_filesystem(const std::filesystem::path& p);
// Throws Errc::io (or no_space for ENOSPC/EDQUOT) with the errno's text.
[[noreturn]] void throw_errno(const std::string& what, int err);

}  // namespace srsfs
