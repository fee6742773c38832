// FuseFilesystem: directory listings, the union of SOURCE's entries and the view's compressed files.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <unordered_set>

#include <fmt/format.h>

#include "fs/fuse_errno.h"
#include "fs/fuse_filesystem.h"
#include "fs/fuse_handles.h"

namespace srsfs::fs {

FuseFilesystem::DirHandle& FuseFilesystem::dir_handle(fuse_file_info* fi) { return fh_ref<DirHandle>(fi); }

void FuseFilesystem::opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto h = std::make_unique<DirHandle>(raw_dir(ino));
  fi->fh = handles_->dirs.adopt(std::move(h));
  if (fuse_reply_open(req, fi) != 0) handles_->dirs.take(fi);
}

namespace {

// Every entry of a directory, in one go: offsets then index a stable snapshot, which a merged listing
// needs (telldir cookies of SOURCE cannot address the view's entries).
std::vector<FuseFilesystem::DirHandle::Entry> raw_entries(int dir_path_fd) {
  UniqueFd fd(::openat(dir_path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("opendir");
  DIR* d = ::fdopendir(fd.get());
  if (!d) throw_errno("opendir");
  fd.release();  // the DIR owns it now
  UniqueDir dir(d);
  std::vector<FuseFilesystem::DirHandle::Entry> out;
  for (;;) {
    errno = 0;
    dirent* de = ::readdir(dir.get());
    if (!de) break;
    out.push_back({de->d_name, de->d_ino, de->d_type, std::nullopt});
  }
  if (errno) throw_errno("readdir");
  return out;
}

}  // namespace

void FuseFilesystem::readdir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi, bool plus) {
  DirHandle& h = dir_handle(fi);
  std::lock_guard lock(h.mu);
  if (off == 0 || !h.loaded) {  // offset 0: first call or rewinddir
    auto entries = raw_entries(h.dir.fd.get());
    std::erase_if(entries, [&](const DirHandle::Entry& e) { return is_hidden(h.dir, e.name); });
    std::unordered_set<std::string> raw_names;
    for (const auto& e : entries) raw_names.insert(e.name);
    for (auto& c : view_.list(rel_of(h.dir))) {
      if (raw_names.count(c.name)) continue;  // raw wins while a scan is being released
      unsigned char type = IFTODT(c.st.st_mode);
      ino_t ino = c.st.st_ino;
      entries.push_back({std::move(c.name), ino, type, c.st});
    }
    h.entries = std::move(entries);
    h.loaded = true;
  }

  auto buf = std::make_unique_for_overwrite<char[]>(size);
  size_t used = 0;
  for (size_t i = size_t(off); i < h.entries.size(); ++i) {
    const auto& ent = h.entries[i];
    char* p = buf.get() + used;
    size_t room = size - used;
    size_t n;
    if (!plus) {
      struct stat st {};
      st.st_ino = ent.ino;
      st.st_mode = mode_t(ent.type) << 12;
      n = fuse_add_direntry(req, p, room, ent.name.c_str(), &st, off_t(i + 1));
      if (n > room) break;
    } else {
      fuse_entry_param e{};
      bool referenced = false;
      if (ent.name == "." || ent.name == "..") {
        e.attr.st_ino = ent.ino;  // no lookup: the kernel does not take a reference on these
        e.attr.st_mode = mode_t(ent.type) << 12;
      } else {
        try {
          if (ent.compressed) {
            Inode& node = inodes_.ref_compressed(h.dir, CompressedEntry{ent.name, *ent.compressed});
            e = entry_for(node, *ent.compressed);
          } else {
            e = do_lookup(h.dir, ent.name);
          }
          referenced = true;
        } catch (...) {
          // Vanished since the snapshot (e.g. a raw frame released): skip it. Anything else (a store that
          // cannot be read, EIO) is the answer if nothing is listed yet, else where this listing stops (the
          // next call starts at this entry and meets it again).
          const int err = errno_for_current_exception("readdirplus");
          if (err == ENOENT) continue;
          if (used == 0) {
            fuse_reply_err(req, err);
            return;
          }
          break;
        }
      }
      n = fuse_add_direntry_plus(req, p, room, ent.name.c_str(), &e, off_t(i + 1));
      if (n > room) {
        if (referenced) inodes_.forget(inodes_.get(e.ino), 1);  // the kernel will not see this one
        break;
      }
    }
    used += n;
  }
  fuse_reply_buf(req, buf.get(), used);
}

void FuseFilesystem::releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  handles_->dirs.take(fi);
  fuse_reply_err(req, 0);
}

void FuseFilesystem::fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info*) {
  Inode& dir = raw_dir(ino);
  UniqueFd fd(::openat(dir.fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("fsyncdir");
  if ((datasync ? ::fdatasync(fd.get()) : ::fsync(fd.get())) < 0) throw_errno("fsyncdir");
  fuse_reply_err(req, 0);
}

}  // namespace srsfs::fs
