#include "fs/private_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <spdlog/spdlog.h>

#include "codec/error.h"

namespace srsfs::fs {

namespace {

// A name inside one directory: no separators, no "." or "..", so openat can never climb out.
void require_plain_name(const std::string& name, const std::filesystem::path& dir) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos || name.find('\0') != std::string::npos)
    fail(Errc::invalid_argument, "'{}' is not a plain file name inside {}", name, dir.string());
}

std::string mode_str(mode_t m) { return fmt::format("{:04o}", unsigned(m & 07777)); }

// Checks an open directory descriptor: a directory, ours; narrows it to 0700.
void check_and_narrow_dir(int fd, const std::filesystem::path& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno(fmt::format("cannot stat {}", path.string()), errno);
  if (!S_ISDIR(st.st_mode)) fail(Errc::invalid_argument, "{} is not a directory", path.string());
  if (st.st_uid != ::geteuid())
    fail(Errc::invalid_argument,
         "{} belongs to uid {}, not to the daemon's uid {}: refusing to use it (remove it, or chown {} {})",
         path.string(), st.st_uid, ::geteuid(), ::geteuid(), path.string());
  if ((st.st_mode & 07777) != 0700) {
    if (st.st_mode & 0077)
      spdlog::warn("{} had mode {}; narrowing it to 0700 (only the daemon may use it)", path.string(), mode_str(st.st_mode));
    if (::fchmod(fd, 0700) != 0) throw_errno(fmt::format("cannot chmod 700 {}", path.string()), errno);
  }
}

// A temporary name nobody can predict, so that O_EXCL fails only for a real collision.
std::string temp_name(const std::string& name) {
  static thread_local std::mt19937_64 rng{std::random_device{}() ^ (uint64_t(::getpid()) << 32)};
  return fmt::format(".{}.tmp-{:016x}", name, rng());
}

}  // namespace

PrivateDir PrivateDir::open_at(int parent_fd, const std::string& name, std::filesystem::path path) {
  // Explicit mode: the daemon runs with umask(0). EEXIST is fine: what exists is checked below.
  if (::mkdirat(parent_fd, name.c_str(), 0700) != 0 && errno != EEXIST)
    throw_errno(fmt::format("cannot create the directory {}", path.string()), errno);
  int fd = ::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    struct stat st {};
    if ((err == ELOOP || err == ENOTDIR) && ::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
      fail(Errc::invalid_argument, "{} is {}, not a directory: refusing to follow it (remove it)", path.string(),
           S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
    throw_errno(fmt::format("cannot open the directory {}", path.string()), err);
  }
  UniqueFd owned(fd);
  check_and_narrow_dir(owned.get(), path);
  return PrivateDir(std::move(owned), std::move(path));
}

PrivateDir PrivateDir::open(const std::filesystem::path& path) {
  if (path.empty()) fail(Errc::invalid_argument, "empty directory path");
  std::filesystem::path parent = path.parent_path();
  std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..")
    fail(Errc::invalid_argument, "{}: name the directory itself, without a trailing / or ..", path.string());
  const char* p = parent.empty() ? "." : parent.c_str();
  UniqueFd pfd(::open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!pfd) throw_errno(fmt::format("cannot open the directory {}", parent.string()), errno);
  return open_at(pfd.get(), name, path);
}

PrivateDir PrivateDir::subdir(const std::string& name) const {
  require_plain_name(name, path_);
  return open_at(fd_.get(), name, child(name));
}

UniqueFd PrivateDir::create_file(const std::string& name) const {
  require_plain_name(name, path_);
  int fd = ::openat(fd_.get(), name.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(fmt::format("cannot create {}", child(name).string()), errno);
  UniqueFd out(fd);
  if (::fchmod(out.get(), 0600) != 0) {  // the mode passed to openat is narrowed by the umask, never widened
    int err = errno;
    ::unlinkat(fd_.get(), name.c_str(), 0);
    throw_errno(fmt::format("cannot chmod 600 {}", child(name).string()), err);
  }
  return out;
}

std::optional<UniqueFd> PrivateDir::open_file(const std::string& name) const {
  require_plain_name(name, path_);
  const std::string where = child(name).string();
  int fd = ::openat(fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return std::nullopt;
    if (err == ELOOP) fail(Errc::invalid_argument, "{} is a symbolic link: refusing to follow it", where);
    throw_errno(fmt::format("cannot open {}", where), err);
  }
  UniqueFd out(fd);
  struct stat st {};
  if (::fstat(out.get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", where), errno);
  if (!S_ISREG(st.st_mode)) fail(Errc::invalid_argument, "{} is not a regular file: refusing to read it", where);
  if (st.st_uid != ::geteuid())
    fail(Errc::invalid_argument, "{} belongs to uid {}, not to the daemon: refusing to read it", where, st.st_uid);
  // Every file we make has one link; another one could be someone's hard link to a file of ours elsewhere.
  if (st.st_nlink != 1)
    fail(Errc::invalid_argument, "{} has {} hard links; srsfs never makes any: refusing to read it", where, st.st_nlink);
  int flags = ::fcntl(out.get(), F_GETFL);
  if (flags < 0 || ::fcntl(out.get(), F_SETFL, flags & ~O_NONBLOCK) != 0)
    throw_errno(fmt::format("cannot open {}", where), errno);
  return out;
}

void PrivateDir::write_file_atomic(const std::string& name, ByteSpan data, bool durable) const {
  require_plain_name(name, path_);
  std::string tmp;
  UniqueFd fd;
  for (int attempt = 0;; ++attempt) {
    tmp = temp_name(name);
    int f = ::openat(fd_.get(), tmp.c_str(), O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
    if (f >= 0) {
      fd = UniqueFd(f);
      break;
    }
    if (errno != EEXIST || attempt >= 8) throw_errno(fmt::format("cannot create {}", child(tmp).string()), errno);
  }
  try {
    if (::fchmod(fd.get(), 0600) != 0) throw_errno(fmt::format("cannot chmod 600 {}", child(tmp).string()), errno);
    write_all(fd.get(), data, child(tmp));
    if (durable) fsync_or_throw(fd.get(), child(tmp));
    fd.reset();
    // renameat replaces whatever is at `name` (a planted symlink included) without following it.
    if (::renameat(fd_.get(), tmp.c_str(), fd_.get(), name.c_str()) != 0)
      throw_errno(fmt::format("cannot rename {} to {}", child(tmp).string(), child(name).string()), errno);
  } catch (...) {
    ::unlinkat(fd_.get(), tmp.c_str(), 0);
    throw;
  }
  if (durable) fsync();
}

std::optional<Bytes> PrivateDir::read_file(const std::string& name) const {
  std::optional<UniqueFd> fd = open_file(name);
  if (!fd) return std::nullopt;
  const std::filesystem::path where = child(name);
  struct stat st {};
  if (::fstat(fd->get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", where.string()), errno);
  Bytes out(size_t(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.size()) out.resize(out.size() + 4096);  // it may have grown: read to the end
    ssize_t n = ::read(fd->get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(fmt::format("cannot read {}", where.string()), errno);
    if (n == 0) break;
    got += size_t(n);
  }
  out.resize(got);
  return out;
}

std::vector<std::string> PrivateDir::list() const {
  // fdopendir takes ownership of its descriptor: give it a fresh one so ours stays open.
  int dup = ::openat(fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) throw_errno(fmt::format("cannot list {}", path_.string()), errno);
  DIR* d = ::fdopendir(dup);
  if (!d) {
    int err = errno;
    ::close(dup);
    throw_errno(fmt::format("cannot list {}", path_.string()), err);
  }
  struct Closer {
    DIR* d;
    ~Closer() { ::closedir(d); }
  } closer{d};
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (!e) {
      if (errno != 0) throw_errno(fmt::format("cannot list {}", path_.string()), errno);
      break;
    }
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  return names;
}

void PrivateDir::remove(const std::string& name) const {
  require_plain_name(name, path_);
  if (::unlinkat(fd_.get(), name.c_str(), 0) != 0 && errno != ENOENT)
    throw_errno(fmt::format("cannot remove {}", child(name).string()), errno);
}

void PrivateDir::fsync() const { fsync_or_throw(fd_.get(), path_); }

namespace {

struct stat lstat_checked(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) throw_errno(fmt::format("cannot examine {}", p.string()), errno);
  return st;
}

// One directory above the store: root's or ours, and nobody else may rename entries in it (not writable by
// group/others, unless sticky like /tmp: there only an entry's owner can rename or remove it).
void check_parent(const std::filesystem::path& p, const std::filesystem::path& store) {
  struct stat st = lstat_checked(p);
  if (!S_ISDIR(st.st_mode)) fail(Errc::invalid_argument, "{} (above the store {}) is not a directory", p.string(), store.string());
  if (st.st_uid != 0 && st.st_uid != ::geteuid())
    fail(Errc::invalid_argument,
         "unsafe store {}: its parent {} belongs to uid {}, who could replace the store (chown root {})",
         store.string(), p.string(), st.st_uid, p.string());
  if ((st.st_mode & 0022) && !(st.st_mode & S_ISVTX))
    fail(Errc::invalid_argument,
         "unsafe store {}: its parent {} is writable by others (mode {}), who could replace the store (chmod go-w {}, "
         "or keep the store elsewhere, e.g. -o store=/var/lib/srsfs/NAME)",
         store.string(), p.string(), mode_str(st.st_mode), p.string());
}

void check_parents(const std::filesystem::path& canonical_dir, const std::filesystem::path& store) {
  for (std::filesystem::path p = canonical_dir.parent_path();; p = p.parent_path()) {
    check_parent(p, store);
    if (p == p.root_path() || p.empty()) break;
  }
}

}  // namespace

void check_store_dir_safe(const std::filesystem::path& dir) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::absolute(dir, ec).lexically_normal();
  if (ec) fail(Errc::io, "cannot resolve the store directory {}: {}", dir.string(), ec.message());
  const std::filesystem::path real = std::filesystem::canonical(abs, ec);
  if (ec)
    fail(ec == std::errc::no_such_file_or_directory ? Errc::not_found : Errc::io,
         "cannot resolve the store directory {}: {}", dir.string(), ec.message());
  struct stat st = lstat_checked(real);
  if (!S_ISDIR(st.st_mode)) fail(Errc::invalid_argument, "the store {} is not a directory", dir.string());
  if (st.st_uid != ::geteuid())
    fail(Errc::invalid_argument,
         "unsafe store {}: it belongs to uid {}, not to the daemon's uid {} (chown {} {})", dir.string(), st.st_uid,
         ::geteuid(), ::geteuid() == 0 ? std::string("root") : std::to_string(::geteuid()), real.string());
  if (st.st_mode & 0022)
    fail(Errc::invalid_argument,
         "unsafe store {}: it is writable by {} (mode {}), who could plant files the daemon then trusts (chmod 700 {})",
         dir.string(), (st.st_mode & 0002) ? "every user" : "its group", mode_str(st.st_mode), real.string());
  check_parents(real, dir);
  // A symlinked store: whoever may replace the link itself may redirect the store, so its parents count too.
  const std::filesystem::path link_parent = abs.parent_path();
  if (!link_parent.empty() && link_parent != abs) {
    const std::filesystem::path real_parent = std::filesystem::canonical(link_parent, ec);
    if (ec) fail(Errc::io, "cannot resolve {}: {}", link_parent.string(), ec.message());
    if (real_parent != real.parent_path()) {
      check_parent(real_parent, dir);
      check_parents(real_parent, dir);
    }
  }
}

}  // namespace srsfs::fs
