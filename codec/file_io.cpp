#include "codec/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "codec/error.h"

namespace srsfs {

void throw_errno(const std::string& what, int err) {
  Errc code = (err == ENOSPC || err == EDQUOT) ? Errc::no_space : (err == ENOENT ? Errc::not_found : Errc::io);
  throw Error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

UniqueFd open_or_throw(const std::filesystem::path& p, int flags, int mode) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_errno(fmt::format("cannot open {}", p.string()), errno);
  return UniqueFd(fd);
}

struct stat stat_or_throw(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) throw_errno(fmt::format("cannot stat {}", p.string()), errno);
  return st;
}

Bytes read_whole_file(const std::filesystem::path& p) {
  UniqueFd fd = open_or_throw(p, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", p.string()), errno);
  Bytes out(size_t(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(fmt::format("cannot read {}", p.string()), errno);
    if (n == 0) break;  // shrank while reading
    got += size_t(n);
  }
  out.resize(got);
  return out;
}

void pread_exact(int fd, std::span<uint8_t> out, uint64_t offset, const std::filesystem::path& name) {
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::pread(fd, out.data() + got, out.size() - got, off_t(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(fmt::format("cannot read {}", name.string()), errno);
    if (n == 0) fail(Errc::corrupt, "{}: truncated (wanted {} bytes at offset {})", name.string(), out.size(), offset);
    got += size_t(n);
  }
}

void write_all(int fd, ByteSpan data, const std::filesystem::path& name) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(fmt::format("cannot write {}", name.string()), errno);
    done += size_t(n);
  }
}

void pwrite_all(int fd, ByteSpan data, uint64_t offset, const std::filesystem::path& name) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(fmt::format("cannot write {}", name.string()), errno);
    done += size_t(n);
  }
}

void fsync_or_throw(int fd, const std::filesystem::path& name) {
  if (::fsync(fd) != 0) throw_errno(fmt::format("cannot sync {}", name.string()), errno);
}

void fsync_dir(const std::filesystem::path& dir) {
  UniqueFd fd = open_or_throw(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
  fsync_or_throw(fd.get(), dir);
}

void sync_filesystem(const std::filesystem::path& p) {
  UniqueFd fd = open_or_throw(p, O_RDONLY);
  if (::syncfs(fd.get()) != 0) throw_errno(fmt::format("cannot sync the filesystem of {}", p.string()), errno);
}

UniqueFd create_temp_beside(const std::filesystem::path& final_path, unsigned mode, std::filesystem::path& tmp) {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ (uint64_t(::getpid()) << 32)};
  for (int attempt = 0;; ++attempt) {
    tmp = final_path;
    tmp += fmt::format(".srsfs-tmp-{:08x}", uint32_t(rng()));
    int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd >= 0) return UniqueFd(fd);
    if (errno != EEXIST || attempt >= 8) throw_errno(fmt::format("cannot create {}", tmp.string()), errno);
  }
}

void write_file_atomic(const std::filesystem::path& p, ByteSpan data, unsigned mode, bool durable) {
  std::filesystem::path tmp;
  {
    UniqueFd fd = create_temp_beside(p, mode, tmp);
    try {
      write_all(fd.get(), data, tmp);
      if (durable) fsync_or_throw(fd.get(), tmp);
    } catch (...) {
      ::unlink(tmp.c_str());
      throw;
    }
  }
  if (::rename(tmp.c_str(), p.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    throw_errno(fmt::format("cannot rename {} to {}", tmp.string(), p.string()), err);
  }
  if (durable) fsync_dir(p.parent_path());
}

}  // namespace srsfs
