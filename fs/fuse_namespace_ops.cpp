// FuseFilesystem: operations that create, remove and rename names.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "fs/fuse_errno.h"
#include "fs/fuse_filesystem.h"

namespace srsfs::fs {

void FuseFilesystem::note_create(const std::string& dir_rel, const std::string& name) noexcept {
  try {
    monitor_.on_create(dir_rel, name);
  } catch (const std::exception& e) {
    spdlog::warn("scan monitor: {}", e.what());
  }
}

void FuseFilesystem::mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  Inode& dir = raw_dir(parent);
  check_new_name(dir, name);
  if (::mknodat(dir.fd.get(), name, mode, rdev) < 0) throw_errno(fmt::format("mknod {}", name));
  chown_to_caller(req, dir.fd.get(), name);
  if (S_ISREG(mode)) note_create(rel_of(dir), name);
  fuse_entry_param e = do_lookup(dir, name);
  fuse_reply_entry(req, &e);
}

void FuseFilesystem::mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  Inode& dir = raw_dir(parent);
  check_new_name(dir, name);
  if (::mkdirat(dir.fd.get(), name, mode) < 0) throw_errno(fmt::format("mkdir {}", name));
  chown_to_caller(req, dir.fd.get(), name);
  fuse_entry_param e = do_lookup(dir, name);
  fuse_reply_entry(req, &e);
}

void FuseFilesystem::symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  Inode& dir = raw_dir(parent);
  check_new_name(dir, name);
  if (::symlinkat(link, dir.fd.get(), name) < 0) throw_errno(fmt::format("symlink {}", name));
  chown_to_caller(req, dir.fd.get(), name);
  fuse_entry_param e = do_lookup(dir, name);
  fuse_reply_entry(req, &e);
}

void FuseFilesystem::link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name) {
  Inode& node = inodes_.get(ino);
  Inode& dir = raw_dir(parent);
  if (!node.is_raw()) refuse(EPERM, "compressed files cannot be hard-linked");
  check_new_name(dir, name);
  // linkat through /proc: AT_EMPTY_PATH on an O_PATH descriptor would need CAP_DAC_READ_SEARCH.
  if (::linkat(AT_FDCWD, proc_fd_path(node.fd.get()).c_str(), dir.fd.get(), name, AT_SYMLINK_FOLLOW) < 0)
    throw_errno(fmt::format("link {}", name));
  if (S_ISREG(node.type)) note_create(rel_of(dir), name);
  fuse_entry_param e = do_lookup(dir, name);
  fuse_reply_entry(req, &e);
}

void FuseFilesystem::unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Inode& dir = raw_dir(parent);
  if (is_hidden(dir, name)) refuse(ENOENT, fmt::format("unlink {}", name));
  bool raw_removed = ::unlinkat(dir.fd.get(), name, 0) == 0;
  if (!raw_removed && errno != ENOENT) throw_errno(fmt::format("unlink {}", name));
  // Also the compressed twin of a raw file still being released: otherwise it would reappear.
  std::string dir_rel = rel_of(dir);
  if (view_.lookup(dir_rel, name)) {
    view_.unlink(join(dir_rel, name));
    inodes_.unlinked_compressed(dir, name);
  } else if (!raw_removed) {
    refuse(ENOENT, fmt::format("unlink {}", name));
  }
  fuse_reply_err(req, 0);
}

void FuseFilesystem::rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Inode& dir = raw_dir(parent);
  if (is_hidden(dir, name)) refuse(ENOENT, fmt::format("rmdir {}", name));
  std::string rel = join(rel_of(dir), name);
  // A compressed scan's directory is empty in SOURCE, yet not empty to the user.
  if (!view_.list(rel).empty()) refuse(ENOTEMPTY, fmt::format("rmdir {}: holds compressed files", rel));
  if (::unlinkat(dir.fd.get(), name, AT_REMOVEDIR) < 0) throw_errno(fmt::format("rmdir {}", rel));
  monitor_.on_dir_removed(rel);
  fuse_reply_err(req, 0);
}

void FuseFilesystem::rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
                            const char* newname, unsigned flags) {
  Inode& from_dir = raw_dir(parent);
  Inode& to_dir = raw_dir(newparent);
  if (is_hidden(from_dir, name)) refuse(ENOENT, fmt::format("rename {}", name));
  if (is_hidden(to_dir, newname)) refuse(EPERM, fmt::format("{} is reserved for the srsfs store", newname));
  if (flags & ~unsigned(RENAME_NOREPLACE | RENAME_EXCHANGE)) refuse(EINVAL, "rename: unsupported flags");
  const std::string from_dir_rel = rel_of(from_dir), to_dir_rel = rel_of(to_dir);
  const std::string from_rel = join(from_dir_rel, name), to_rel = join(to_dir_rel, newname);
  // Under the write gate: a rename must not slip another file under a name the compressor is unlinking.
  auto raw_rename = [&](unsigned how) {
    int r = 0;
    auto go = [&] { r = ::renameat2(from_dir.fd.get(), name, to_dir.fd.get(), newname, how); };
    if (config_.gate) {
      config_.gate->exclusive(go);
    } else {
      go();
    }
    return r;
  };

  struct stat src {}, dst {};
  bool src_raw = ::fstatat(from_dir.fd.get(), name, &src, AT_SYMLINK_NOFOLLOW) == 0;
  if (!src_raw && errno != ENOENT) throw_errno(fmt::format("rename {}", from_rel));
  bool dst_raw = ::fstatat(to_dir.fd.get(), newname, &dst, AT_SYMLINK_NOFOLLOW) == 0;
  if (!dst_raw && errno != ENOENT) throw_errno(fmt::format("rename to {}", to_rel));
  bool src_comp = view_.lookup(from_dir_rel, name).has_value();
  bool dst_comp = view_.lookup(to_dir_rel, newname).has_value();
  if (!src_raw && !src_comp) refuse(ENOENT, fmt::format("rename {}", from_rel));
  if (from_rel == to_rel) {
    fuse_reply_err(req, 0);
    return;
  }

  if (flags & RENAME_EXCHANGE) {
    // Exchanging needs both names raw; a directory's compressed contents would not follow the swap.
    if (!src_raw || !dst_raw || src_comp || dst_comp || S_ISDIR(src.st_mode) || S_ISDIR(dst.st_mode))
      refuse(EINVAL, "rename: cannot exchange compressed files or directories");
    if (raw_rename(RENAME_EXCHANGE) < 0)
      throw_errno(fmt::format("rename {} <-> {}", from_rel, to_rel));
    fuse_reply_err(req, 0);
    return;
  }
  if ((flags & RENAME_NOREPLACE) && (dst_raw || dst_comp)) refuse(EEXIST, fmt::format("{} exists", to_rel));

  if (src_raw) {
    if (S_ISDIR(src.st_mode) && dst_raw && S_ISDIR(dst.st_mode) && !view_.list(to_rel).empty())
      refuse(ENOTEMPTY, fmt::format("rename onto {}: holds compressed files", to_rel));
    if (raw_rename(flags) < 0)
      throw_errno(fmt::format("rename {} -> {}", from_rel, to_rel));
    if (S_ISDIR(src.st_mode)) {
      try {
        view_.rename_dir(from_rel, to_rel);
      } catch (...) {
        // Keep SOURCE and the store agreeing: undo the raw rename, then report the store's error.
        if (::renameat2(to_dir.fd.get(), newname, from_dir.fd.get(), name, RENAME_NOREPLACE) < 0)
          spdlog::error("rename {} -> {}: store failed and undo failed: {}", from_rel, to_rel, std::strerror(errno));
        throw;
      }
      monitor_.on_dir_renamed(from_rel, to_rel);
    } else {
      if (src_comp) {  // the compressed twin of a file being released moves with it
        view_.rename(from_rel, to_rel);
        inodes_.renamed_compressed(from_dir, name, to_dir, newname);
      } else if (dst_comp) {  // a raw file replaces a compressed one
        view_.unlink(to_rel);
        inodes_.unlinked_compressed(to_dir, newname);
      }
      note_create(to_dir_rel, newname);
    }
  } else {
    if (dst_raw) {
      if (S_ISDIR(dst.st_mode)) refuse(EISDIR, fmt::format("rename onto directory {}", to_rel));
      if (::unlinkat(to_dir.fd.get(), newname, 0) < 0) throw_errno(fmt::format("replace {}", to_rel));
    }
    view_.rename(from_rel, to_rel);
    inodes_.renamed_compressed(from_dir, name, to_dir, newname);
  }
  fuse_reply_err(req, 0);
}

}  // namespace srsfs::fs
