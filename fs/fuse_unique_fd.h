// RAII owners for the kernel handles the FUSE layer holds: file descriptors and directory streams.
#pragma once
#include <dirent.h>
#include <unistd.h>

#include <utility>

namespace srsfs::fs {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Owns a DIR* from fdopendir (which then owns the descriptor too).
class UniqueDir {
 public:
  UniqueDir() = default;
  explicit UniqueDir(DIR* d) noexcept : d_(d) {}
  UniqueDir(UniqueDir&& o) noexcept : d_(std::exchange(o.d_, nullptr)) {}
  UniqueDir& operator=(UniqueDir&& o) noexcept {
    if (this != &o) {
      if (d_) ::closedir(d_);
      d_ = std::exchange(o.d_, nullptr);
    }
    return *this;
  }
  UniqueDir(const UniqueDir&) = delete;
  UniqueDir& operator=(const UniqueDir&) = delete;
  ~UniqueDir() {
    if (d_) ::closedir(d_);
  }
  DIR* get() const noexcept { return d_; }
  explicit operator bool() const noexcept { return d_ != nullptr; }

 private:
  DIR* d_ = nullptr;
};

}  // namespace srsfs::fs
