// FuseFilesystem: construction, the operation table, and the attribute operations. Namespace, file,
// directory and xattr operations live in fuse_{namespace,file,dir,xattr}_ops.cpp.
#include "fs/fuse_filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "codec/error.h"
#include "fs/fuse_errno.h"
#include "fs/fuse_handles.h"

namespace srsfs::fs {

std::string proc_fd_path(int fd) { return fmt::format("/proc/self/fd/{}", fd); }

namespace {

FuseFilesystem& self(fuse_req_t req) { return *static_cast<FuseFilesystem*>(fuse_req_userdata(req)); }

// The FUSE boundary: any exception becomes exactly one error reply with its errno.
template <typename F>
void guarded(fuse_req_t req, const char* op, F&& f) {
  try {
    f(self(req));
  } catch (...) {
    fuse_reply_err(req, errno_for_current_exception(op));
  }
}

std::string canonical_source(const std::filesystem::path& source) {
  std::error_code ec;
  auto p = std::filesystem::canonical(source, ec);
  if (ec) fail(Errc::not_found, "source directory {}: {}", source.string(), ec.message());
  if (!std::filesystem::is_directory(p)) fail(Errc::invalid_argument, "source {} is not a directory", p.string());
  return p.string();
}

InodeTable make_table(const std::string& source) {
  UniqueFd fd(::open(source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) fail(Errc::io, "cannot open source directory {}: {}", source, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0) fail(Errc::io, "cannot stat source directory {}: {}", source, std::strerror(errno));
  return InodeTable(std::move(fd), st);
}

// The absolute path /proc shows for fd, or nullopt when it is too long to show (ENAMETOOLONG; a result
// that fills the buffer is treated the same: never a truncated path).
std::optional<std::string> proc_path_of(int fd) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(proc_fd_path(fd).c_str(), buf, sizeof buf);
  if (n >= 0 && size_t(n) < sizeof buf) return std::string(buf, size_t(n));
  if (n >= 0 || errno == ENAMETOOLONG) return std::nullopt;
  throw_errno("path of an open object");
}

// p (absolute, from /proc) relative to SOURCE.
std::string rel_in_source(const std::string& source_abs, const std::string& p) {
  if (p.ends_with(" (deleted)")) refuse(ENOENT, fmt::format("{} was deleted", p));
  if (p == source_abs) return "";
  std::string prefix = source_abs == "/" ? "/" : source_abs + "/";
  if (!p.starts_with(prefix)) refuse(ENOENT, fmt::format("{} was moved out of {}", p, source_abs));
  return p.substr(prefix.size());
}

// The name under which directory dir_fd (O_PATH) holds the object (dev, ino), found by listing it.
std::string name_in(int dir_fd, dev_t dev, ino_t ino) {
  UniqueFd fd(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("list the parent of a deep directory");
  DIR* d = ::fdopendir(fd.get());
  if (!d) throw_errno("list the parent of a deep directory");
  fd.release();  // the DIR owns it now
  UniqueDir dir(d);
  while (dirent* de = ::readdir(dir.get())) {
    if (de->d_ino != ino || std::strcmp(de->d_name, ".") == 0 || std::strcmp(de->d_name, "..") == 0) continue;
    struct stat st {};
    if (::fstatat(::dirfd(dir.get()), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == dev && st.st_ino == ino)
      return de->d_name;
  }
  refuse(ENOENT, "a directory deeper than PATH_MAX was moved while its path was being found");
}

}  // namespace

FuseFilesystem::FuseFilesystem(FilesystemConfig config, CompressedView& view, ScanMonitor& monitor)
    : config_(std::move(config)),
      source_abs_(canonical_source(config_.source)),
      view_(view),
      monitor_(monitor),
      inodes_(make_table(source_abs_)),
      handles_(std::make_unique<OpenHandleLists>()) {
  if (config_.hidden) {
    // Hidden by (parent identity, name), so it stays hidden if created after mounting; and by its own
    // identity when it exists, so no other path reaches it either.
    auto hidden = std::filesystem::absolute(*config_.hidden).lexically_normal();
    if (!hidden.has_filename()) hidden = hidden.parent_path();
    struct stat pst {};
    if (::stat(hidden.parent_path().c_str(), &pst) == 0) {
      hide_ = true;
      hidden_parent_dev_ = pst.st_dev;
      hidden_parent_ino_ = pst.st_ino;
      hidden_name_ = hidden.filename().string();
      struct stat hst {};
      if (::stat(hidden.c_str(), &hst) == 0) {
        hidden_dev_ = hst.st_dev;
        hidden_ino_ = hst.st_ino;
      }
    }
  }
}

FuseFilesystem::~FuseFilesystem() { drop_open_handles(); }

void FuseFilesystem::drop_open_handles() {
  handles_->files.clear();
  handles_->dirs.clear();
}

size_t FuseFilesystem::open_handles() { return handles_->files.size() + handles_->dirs.size(); }

const fuse_lowlevel_ops& FuseFilesystem::operations() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = [](void* ud, fuse_conn_info* c) { static_cast<FuseFilesystem*>(ud)->init(c); };
    o.lookup = [](fuse_req_t r, fuse_ino_t p, const char* n) {
      guarded(r, "lookup", [&](FuseFilesystem& fs) { fs.lookup(r, p, n); });
    };
    o.forget = [](fuse_req_t r, fuse_ino_t i, uint64_t n) {
      self(r).forget(i, n);
      fuse_reply_none(r);
    };
    o.forget_multi = [](fuse_req_t r, size_t count, fuse_forget_data* f) {
      for (size_t k = 0; k < count; ++k) self(r).forget(f[k].ino, f[k].nlookup);
      fuse_reply_none(r);
    };
    o.getattr = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
      guarded(r, "getattr", [&](FuseFilesystem& fs) { fs.getattr(r, i, fi); });
    };
    o.setattr = [](fuse_req_t r, fuse_ino_t i, struct stat* a, int v, fuse_file_info* fi) {
      guarded(r, "setattr", [&](FuseFilesystem& fs) { fs.setattr(r, i, a, v, fi); });
    };
    o.readlink = [](fuse_req_t r, fuse_ino_t i) {
      guarded(r, "readlink", [&](FuseFilesystem& fs) { fs.readlink(r, i); });
    };
    o.mknod = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, dev_t d) {
      guarded(r, "mknod", [&](FuseFilesystem& fs) { fs.mknod(r, p, n, m, d); });
    };
    o.mkdir = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m) {
      guarded(r, "mkdir", [&](FuseFilesystem& fs) { fs.mkdir(r, p, n, m); });
    };
    o.symlink = [](fuse_req_t r, const char* l, fuse_ino_t p, const char* n) {
      guarded(r, "symlink", [&](FuseFilesystem& fs) { fs.symlink(r, l, p, n); });
    };
    o.link = [](fuse_req_t r, fuse_ino_t i, fuse_ino_t p, const char* n) {
      guarded(r, "link", [&](FuseFilesystem& fs) { fs.link(r, i, p, n); });
    };
    o.unlink = [](fuse_req_t r, fuse_ino_t p, const char* n) {
      guarded(r, "unlink", [&](FuseFilesystem& fs) { fs.unlink(r, p, n); });
    };
    o.rmdir = [](fuse_req_t r, fuse_ino_t p, const char* n) {
      guarded(r, "rmdir", [&](FuseFilesystem& fs) { fs.rmdir(r, p, n); });
    };
    o.rename = [](fuse_req_t r, fuse_ino_t p, const char* n, fuse_ino_t np, const char* nn, unsigned f) {
      guarded(r, "rename", [&](FuseFilesystem& fs) { fs.rename(r, p, n, np, nn, f); });
    };
    o.open = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
      guarded(r, "open", [&](FuseFilesystem& fs) { fs.open(r, i, fi); });
    };
    o.create = [](fuse_req_t r, fuse_ino_t p, const char* n, mode_t m, fuse_file_info* fi) {
      guarded(r, "create", [&](FuseFilesystem& fs) { fs.create(r, p, n, m, fi); });
    };
    o.read = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
      guarded(r, "read", [&](FuseFilesystem& fs) { fs.read(r, i, s, off, fi); });
    };
    o.write_buf = [](fuse_req_t r, fuse_ino_t i, fuse_bufvec* b, off_t off, fuse_file_info* fi) {
      guarded(r, "write", [&](FuseFilesystem& fs) { fs.write_buf(r, i, b, off, fi); });
    };
    o.flush = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
      guarded(r, "flush", [&](FuseFilesystem& fs) { fs.flush(r, i, fi); });
    };
    o.release = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
      guarded(r, "release", [&](FuseFilesystem& fs) { fs.release(r, i, fi); });
    };
    o.fsync = [](fuse_req_t r, fuse_ino_t i, int d, fuse_file_info* fi) {
      guarded(r, "fsync", [&](FuseFilesystem& fs) { fs.fsync(r, i, d, fi); });
    };
    o.opendir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
      guarded(r, "opendir", [&](FuseFilesystem& fs) { fs.opendir(r, i, fi); });
    };
    o.readdir = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
      guarded(r, "readdir", [&](FuseFilesystem& fs) { fs.readdir(r, i, s, off, fi, false); });
    };
    o.readdirplus = [](fuse_req_t r, fuse_ino_t i, size_t s, off_t off, fuse_file_info* fi) {
      guarded(r, "readdirplus", [&](FuseFilesystem& fs) { fs.readdir(r, i, s, off, fi, true); });
    };
    o.releasedir = [](fuse_req_t r, fuse_ino_t i, fuse_file_info* fi) {
      guarded(r, "releasedir", [&](FuseFilesystem& fs) { fs.releasedir(r, i, fi); });
    };
    o.fsyncdir = [](fuse_req_t r, fuse_ino_t i, int d, fuse_file_info* fi) {
      guarded(r, "fsyncdir", [&](FuseFilesystem& fs) { fs.fsyncdir(r, i, d, fi); });
    };
    o.statfs = [](fuse_req_t r, fuse_ino_t i) {
      guarded(r, "statfs", [&](FuseFilesystem& fs) { fs.statfs(r, i); });
    };
    o.setxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, const char* v, size_t s, int f) {
      guarded(r, "setxattr", [&](FuseFilesystem& fs) { fs.setxattr(r, i, n, v, s, f); });
    };
    o.getxattr = [](fuse_req_t r, fuse_ino_t i, const char* n, size_t s) {
      guarded(r, "getxattr", [&](FuseFilesystem& fs) { fs.getxattr(r, i, n, s); });
    };
    o.listxattr = [](fuse_req_t r, fuse_ino_t i, size_t s) {
      guarded(r, "listxattr", [&](FuseFilesystem& fs) { fs.listxattr(r, i, s); });
    };
    o.removexattr = [](fuse_req_t r, fuse_ino_t i, const char* n) {
      guarded(r, "removexattr", [&](FuseFilesystem& fs) { fs.removexattr(r, i, n); });
    };
    return o;
  }();
  return ops;
}

void FuseFilesystem::init(fuse_conn_info* conn) {
  // Reads of raw files reply straight from SOURCE's descriptor: let libfuse splice them to the kernel.
  if (conn->capable & FUSE_CAP_SPLICE_WRITE) conn->want |= FUSE_CAP_SPLICE_WRITE;
  // Write-back caching would let the kernel reorder and merge writes behind our back; the scan monitor
  // wants to see writes when they happen.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

void FuseFilesystem::invalidate_entry(fuse_session* se, const std::string& dir_rel, const std::string& name) noexcept {
  struct stat st {};
  const char* path = dir_rel.empty() ? "." : dir_rel.c_str();
  if (::fstatat(inodes_.root().fd.get(), path, &st, AT_SYMLINK_NOFOLLOW) < 0) return;  // gone: nothing cached
  fuse_ino_t parent = inodes_.find_raw(st.st_dev, st.st_ino);
  if (parent == 0) return;  // the kernel holds no entries of a directory it does not know
  int r = fuse_lowlevel_notify_inval_entry(se, parent, name.c_str(), name.size());
  if (r < 0 && r != -ENOENT && r != -ENOSYS && r != -ENOTCONN && r != -ENODEV)
    spdlog::debug("invalidate {}/{}: {}", dir_rel, name, std::strerror(-r));
}

// --- helpers ---

std::string FuseFilesystem::join(const std::string& dir_rel, const std::string& name) {
  return dir_rel.empty() ? name : dir_rel + "/" + name;
}

std::string FuseFilesystem::rel_of(const Inode& raw) {
  if (&raw == &inodes_.root()) return "";
  // The kernel tracks the object's current path, renames outside the mount included. /proc shows paths
  // shorter than PATH_MAX only (longer ones give ENAMETOOLONG); a directory deeper than that is found by
  // walking up from it, and a deeper file has no path the daemon can name.
  if (auto abs = proc_path_of(raw.fd.get())) return rel_in_source(source_abs_, *abs);
  if (!raw.is_dir()) refuse(ENAMETOOLONG, "the path of a file longer than PATH_MAX in SOURCE");
  std::vector<std::string> names;  // innermost first
  UniqueFd held;                   // the ancestor being named (raw.fd itself at first)
  int cur = raw.fd.get();
  dev_t dev = raw.dev;
  ino_t ino = raw.ino;
  for (;;) {
    UniqueFd parent(::openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!parent) {
      if (errno == ENOENT) refuse(ENOENT, "a directory deeper than PATH_MAX was deleted");
      throw_errno("parent of a deep directory");
    }
    struct stat pst {};
    if (::fstat(parent.get(), &pst) < 0) throw_errno("parent of a deep directory");
    if (pst.st_dev == dev && pst.st_ino == ino) refuse(ENOENT, fmt::format("a directory was moved out of {}", source_abs_));
    names.push_back(name_in(parent.get(), dev, ino));
    std::optional<std::string> base;
    if (pst.st_dev == inodes_.root().dev && pst.st_ino == inodes_.root().ino) {
      base = "";
    } else if (auto abs = proc_path_of(parent.get())) {
      base = rel_in_source(source_abs_, *abs);
    }
    if (base) {
      std::string rel = *base;
      for (auto it = names.rbegin(); it != names.rend(); ++it) rel = join(rel, *it);
      return rel;
    }
    held = std::move(parent);
    cur = held.get();
    dev = pst.st_dev;
    ino = pst.st_ino;
  }
}

std::string FuseFilesystem::rel_of_compressed(const Inode& node) {
  auto [parent, name] = inodes_.location(node);
  return join(rel_of(*parent), name);
}

std::optional<CompressedEntry> FuseFilesystem::compressed_in(Inode& dir, const std::string& name) {
  return view_.lookup(rel_of(dir), name);
}

bool FuseFilesystem::is_hidden(const Inode& parent, const std::string& name) const {
  return hide_ && parent.is_raw() && parent.dev == hidden_parent_dev_ && parent.ino == hidden_parent_ino_ &&
         name == hidden_name_;
}

bool FuseFilesystem::is_hidden(const struct stat& st) const {
  return hide_ && hidden_ino_ != 0 && st.st_dev == hidden_dev_ && st.st_ino == hidden_ino_;
}

void FuseFilesystem::check_new_name(Inode& parent, const std::string& name) {
  if (is_hidden(parent, name)) refuse(EPERM, fmt::format("{} is reserved for the srsfs store", name));
  if (compressed_in(parent, name)) refuse(EEXIST, fmt::format("{} exists (compressed)", name));
}

void FuseFilesystem::chown_to_caller(fuse_req_t req, int dirfd, const std::string& name) {
  if (::geteuid() != 0) return;  // unprivileged daemon: objects belong to it anyway
  const fuse_ctx* ctx = fuse_req_ctx(req);
  if (ctx->uid == 0 && ctx->gid == 0) return;
  if (::fchownat(dirfd, name.c_str(), ctx->uid, ctx->gid, AT_SYMLINK_NOFOLLOW) < 0)
    throw_errno(fmt::format("chown {} to the caller", name));
}

fuse_entry_param FuseFilesystem::entry_for(Inode& node, const struct stat& st) const {
  fuse_entry_param e{};
  e.ino = inodes_.id(node);
  e.attr = st;
  e.attr_timeout = config_.timeout_s;
  e.entry_timeout = config_.timeout_s;
  return e;
}

Inode& FuseFilesystem::raw_dir(fuse_ino_t ino) {
  Inode& d = inodes_.get(ino);
  if (!d.is_raw() || !d.is_dir()) refuse(ENOTDIR, "not a directory");
  return d;
}

fuse_entry_param FuseFilesystem::do_lookup(Inode& parent, const std::string& name) {
  if (!parent.is_raw() || !parent.is_dir()) refuse(ENOTDIR, "lookup in a non-directory");
  if (name == "." || name == ".." || is_hidden(parent, name)) refuse(ENOENT, fmt::format("lookup {}", name));
  UniqueFd fd(::openat(parent.fd.get(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
  if (fd) {
    struct stat st {};
    if (::fstatat(fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) throw_errno("stat " + name);
    if (is_hidden(st)) refuse(ENOENT, fmt::format("lookup {}", name));
    Inode& node = inodes_.ref_raw(std::move(fd), st);
    return entry_for(node, st);
  }
  if (errno != ENOENT) throw_errno("lookup " + name);
  auto e = compressed_in(parent, name);
  if (!e) refuse(ENOENT, fmt::format("lookup {}", name));
  e->name = name;
  Inode& node = inodes_.ref_compressed(parent, *e);
  return entry_for(node, e->st);
}

struct stat FuseFilesystem::stat_of(Inode& node) {
  if (!node.is_raw()) return inodes_.compressed_stat(node);
  struct stat st {};
  if (::fstatat(node.fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) throw_errno("stat");
  return st;
}

// --- attribute operations ---

void FuseFilesystem::lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_entry_param e = do_lookup(raw_dir(parent), name);
  fuse_reply_entry(req, &e);
}

void FuseFilesystem::forget(fuse_ino_t ino, uint64_t nlookup) { inodes_.forget(inodes_.get(ino), nlookup); }

void FuseFilesystem::getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st = stat_of(inodes_.get(ino));
  fuse_reply_attr(req, &st, config_.timeout_s);
}

void FuseFilesystem::setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi) {
  Inode& node = inodes_.get(ino);
  if (!node.is_raw()) refuse(EROFS, "compressed files are read-only");
  // A change the compressor must see (it would otherwise land in a file it is releasing).
  GateWriter writing = S_ISREG(node.type) ? begin_write(node) : GateWriter();
  // An open handle (ftruncate, fchmod, futimens) is used when the kernel gives one.
  int hfd = fi ? fh_ref<FileHandle>(fi).fd.get() : -1;
  std::string proc = proc_fd_path(node.fd.get());
  if (valid & FUSE_SET_ATTR_MODE) {
    int r = hfd >= 0 ? ::fchmod(hfd, attr->st_mode) : ::chmod(proc.c_str(), attr->st_mode);
    if (r < 0) throw_errno("chmod");
  }
  if (valid & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
    uid_t uid = (valid & FUSE_SET_ATTR_UID) ? attr->st_uid : uid_t(-1);
    gid_t gid = (valid & FUSE_SET_ATTR_GID) ? attr->st_gid : gid_t(-1);
    if (::fchownat(node.fd.get(), "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) throw_errno("chown");
  }
  if (valid & FUSE_SET_ATTR_SIZE) {
    int r = hfd >= 0 ? ::ftruncate(hfd, attr->st_size) : ::truncate(proc.c_str(), attr->st_size);
    if (r < 0) throw_errno("truncate");
  }
  if (valid & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
    struct timespec tv[2];
    tv[0].tv_sec = tv[1].tv_sec = 0;
    tv[0].tv_nsec = tv[1].tv_nsec = UTIME_OMIT;
    if (valid & FUSE_SET_ATTR_ATIME_NOW) {
      tv[0].tv_nsec = UTIME_NOW;
    } else if (valid & FUSE_SET_ATTR_ATIME) {
      tv[0] = attr->st_atim;
    }
    if (valid & FUSE_SET_ATTR_MTIME_NOW) {
      tv[1].tv_nsec = UTIME_NOW;
    } else if (valid & FUSE_SET_ATTR_MTIME) {
      tv[1] = attr->st_mtim;
    }
    // The kernel has resolved the path already: a setattr for a symlink's node means the link itself
    // (AT_SYMLINK_NOFOLLOW); one through a link arrives for the target's node. AT_EMPTY_PATH on the O_PATH
    // descriptor names exactly that object, link or not; futimens would refuse an O_PATH descriptor
    // (EBADF). Who may set which times (the owner any, a writer only "now" for both) the kernel checks
    // against the attributes shown (default_permissions, which allow_other implies).
    int r = hfd >= 0 ? ::futimens(hfd, tv) : ::utimensat(node.fd.get(), "", tv, AT_EMPTY_PATH);
    if (r < 0) throw_errno("utimens");
  }
  struct stat st = stat_of(node);
  fuse_reply_attr(req, &st, config_.timeout_s);
}

void FuseFilesystem::readlink(fuse_req_t req, fuse_ino_t ino) {
  Inode& node = inodes_.get(ino);
  if (!node.is_raw()) refuse(EINVAL, "not a symbolic link");
  char buf[PATH_MAX + 1];
  ssize_t n = ::readlinkat(node.fd.get(), "", buf, sizeof buf);
  if (n < 0) throw_errno("readlink");
  if (size_t(n) >= sizeof buf) refuse(ENAMETOOLONG, "readlink: target too long");
  buf[n] = '\0';
  fuse_reply_readlink(req, buf);
}

void FuseFilesystem::statfs(fuse_req_t req, fuse_ino_t ino) {
  Inode& node = inodes_.get(ino);
  struct statvfs sv {};
  int fd = node.is_raw() ? node.fd.get() : inodes_.root().fd.get();
  if (::fstatvfs(fd, &sv) < 0) throw_errno("statfs");
  fuse_reply_statfs(req, &sv);
}

}  // namespace srsfs::fs
