// FuseFilesystem: extended attributes. Names under user.srsfs. are the daemon's own: on directories they
// are the control channel of `srsfs-admin` (compress, state); on compressed files they come from the view.
// On a raw file or directory everything else passes through to SOURCE. A compressed file serves, read-only, the
// user.* attributes its raw file had when it was compressed (kept in its FileRecord, fs/file_xattrs.h); listing
// it shows those, never the daemon's names, which are read by name only. The daemon's names
// (fs/compressed_view.h):
//   user.srsfs.compress  set on a directory: compress that scan now
//   user.srsfs.state     directory: raw|writing|queued|compressing N%|compressed|failed: why; file: raw|compressed
//   user.srsfs.ratio     compressed file or scan directory: stored / raw bytes of the scan
//   user.srsfs.scan      compressed file or scan directory: the scan's SOURCE-relative path
//   user.srsfs.status    mount root: JSON status document (fs/mount_status.cpp)
#include <sys/xattr.h>

#include <memory>

#include <fmt/format.h>

#include "fs/fuse_errno.h"
#include "fs/fuse_filesystem.h"

namespace srsfs::fs {

namespace {

bool is_srsfs_name(const char* name) { return std::string_view(name).starts_with(kXattrPrefix); }

// getxattr's two-step protocol: size 0 asks for the length.
void reply_value(fuse_req_t req, const std::string& value, size_t size) {
  if (size == 0) {
    fuse_reply_xattr(req, value.size());
  } else if (value.size() > size) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, value.data(), value.size());
  }
}

}  // namespace

void FuseFilesystem::setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                              int flags) {
  Inode& node = inodes_.get(ino);
  if (std::string_view(name) == kXattrCompress) {
    if (!node.is_raw() || !node.is_dir()) refuse(ENOTDIR, "compression is requested on a scan directory");
    monitor_.request(rel_of(node));
    fuse_reply_err(req, 0);
    return;
  }
  if (!node.is_raw()) refuse(EROFS, "compressed files are read-only");
  if (is_srsfs_name(name)) refuse(ENOTSUP, fmt::format("{} is reserved for srsfs", name));
  if (::setxattr(proc_fd_path(node.fd.get()).c_str(), name, value, size, flags) < 0)
    throw_errno(fmt::format("setxattr {}", name));
  fuse_reply_err(req, 0);
}

void FuseFilesystem::getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Inode& node = inodes_.get(ino);
  if (!node.is_raw()) {
    std::optional<std::string> v = view_.getxattr(rel_of_compressed(node), name);
    if (!v) refuse(ENODATA, fmt::format("getxattr {}", name));
    reply_value(req, *v, size);
    return;
  }
  if (is_srsfs_name(name)) {
    // The daemon's own attributes: never SOURCE's (the compressor removes raw files with theirs).
    const std::string_view n(name);
    std::optional<std::string> v;
    if (n == kXattrStatus && &node == &inodes_.root()) {
      v = monitor_.status_json();
    } else if (n == kXattrState) {
      v = node.is_dir() ? monitor_.state(rel_of(node)) : std::string("raw");
    } else if (node.is_dir()) {
      v = view_.getxattr(rel_of(node), name);  // ratio and scan of a compressed scan's directory
    }
    if (!v) refuse(ENODATA, fmt::format("getxattr {}", name));
    reply_value(req, *v, size);
    return;
  }
  std::string proc = proc_fd_path(node.fd.get());
  if (size == 0) {
    ssize_t n = ::getxattr(proc.c_str(), name, nullptr, 0);
    if (n < 0) throw_errno(fmt::format("getxattr {}", name));
    fuse_reply_xattr(req, size_t(n));
    return;
  }
  auto buf = std::make_unique_for_overwrite<char[]>(size);
  ssize_t n = ::getxattr(proc.c_str(), name, buf.get(), size);
  if (n < 0) throw_errno(fmt::format("getxattr {}", name));
  fuse_reply_buf(req, buf.get(), size_t(n));
}

void FuseFilesystem::listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Inode& node = inodes_.get(ino);
  if (!node.is_raw()) {  // the kept user.* names; the daemon's own are read by name only
    std::string list;
    for (const std::string& n : view_.listxattr(rel_of_compressed(node))) {
      list += n;
      list += '\0';
    }
    reply_value(req, list, size);
    return;
  }
  std::string proc = proc_fd_path(node.fd.get());
  if (size == 0) {
    ssize_t n = ::listxattr(proc.c_str(), nullptr, 0);
    if (n < 0) throw_errno("listxattr");
    fuse_reply_xattr(req, size_t(n));
    return;
  }
  auto buf = std::make_unique_for_overwrite<char[]>(size);
  ssize_t n = ::listxattr(proc.c_str(), buf.get(), size);
  if (n < 0) throw_errno("listxattr");
  fuse_reply_buf(req, buf.get(), size_t(n));
}

void FuseFilesystem::removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Inode& node = inodes_.get(ino);
  if (!node.is_raw()) refuse(EROFS, "compressed files are read-only");
  if (is_srsfs_name(name)) refuse(ENOTSUP, fmt::format("{} is reserved for srsfs", name));
  if (::removexattr(proc_fd_path(node.fd.get()).c_str(), name) < 0) throw_errno(fmt::format("removexattr {}", name));
  fuse_reply_err(req, 0);
}

}  // namespace srsfs::fs
