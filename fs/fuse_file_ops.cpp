// FuseFilesystem: open files. Raw files are served from a descriptor on SOURCE (spliced where the kernel
// allows); compressed files from the CompressedView, read-only.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "fs/fuse_errno.h"
#include "fs/fuse_filesystem.h"
#include "fs/fuse_handles.h"

namespace srsfs::fs {

namespace {

bool opens_for_writing(int flags) { return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC); }

std::string parent_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string base_of(const std::string& rel) {
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? rel : rel.substr(slash + 1);
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

GateWriter FuseFilesystem::begin_write(Inode& node) {
  if (!config_.gate || !node.is_raw()) return {};
  const WriteGate::Key key{node.dev, node.ino};
  const bool linked = config_.gate->writer_opened(key, [&] {
    struct stat st {};
    return ::fstatat(node.fd.get(), "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) == 0 && st.st_nlink > 0;
  });
  // ESTALE, not ENOENT: the VFS repeats the lookup once on ESTALE, and then finds the compressed file.
  if (!linked) refuse(ESTALE, "the raw file was just released to the store");
  return GateWriter(config_.gate, key);
}

// Replies with the handle; if the request was interrupted the kernel will never release it: free it now.
void FuseFilesystem::reply_open(fuse_req_t req, fuse_file_info* fi, std::unique_ptr<FileHandle>&& h) {
  fi->fh = handles_->files.adopt(std::move(h));
  if (fuse_reply_open(req, fi) != 0) handles_->files.take(fi);
}

void FuseFilesystem::note_write(FileHandle& h) noexcept {
  if (!h.track) return;
  // Throttled: a frame arrives in many write requests; one note per interval is enough for idle timing.
  int64_t now = now_ns();
  int64_t last = h.last_note_ns.load(std::memory_order_relaxed);
  if (now - last < std::chrono::nanoseconds(ScanMonitor::kWriteNoteInterval).count()) return;
  if (!h.last_note_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) return;
  try {
    monitor_.on_write(h.scan_dir);
  } catch (const std::exception& e) {
    spdlog::warn("scan monitor: {}", e.what());
  }
}

void FuseFilesystem::open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Inode& node = inodes_.get(ino);
  auto h = std::make_unique<FileHandle>();
  if (!node.is_raw()) {
    if (opens_for_writing(fi->flags)) refuse(EROFS, "compressed files are read-only");
    h->compressed = view_.open(rel_of_compressed(node));
    fi->keep_cache = 1;  // the bytes of a compressed file never change
    fi->noflush = 1;
    reply_open(req, fi, std::move(h));
    return;
  }
  if (opens_for_writing(fi->flags)) {
    h->writer = begin_write(node);
    std::string rel = rel_of(node);
    h->scan_dir = parent_of(rel);
    h->track = !monitor_.is_marker(base_of(rel));
  }
  // O_NOFOLLOW would refuse the /proc magic link itself; the object was resolved at lookup already.
  h->fd = UniqueFd(::open(proc_fd_path(node.fd.get()).c_str(), (fi->flags & ~O_NOFOLLOW) | O_CLOEXEC));
  if (!h->fd) throw_errno("open");
  if (fi->flags & O_TRUNC) note_write(*h);
  reply_open(req, fi, std::move(h));
}

void FuseFilesystem::create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  Inode& dir = raw_dir(parent);
  check_new_name(dir, name);
  auto h = std::make_unique<FileHandle>();
  h->fd = UniqueFd(::openat(dir.fd.get(), name, (fi->flags | O_CREAT | O_CLOEXEC) & ~O_NOFOLLOW, mode));
  if (!h->fd) throw_errno(fmt::format("create {}", name));
  if (config_.gate) {
    // O_CREAT without O_EXCL may have opened an existing file, perhaps one being released.
    struct stat st {};
    if (::fstat(h->fd.get(), &st) < 0) throw_errno(fmt::format("create {}", name));
    WriteGate::Key key{st.st_dev, st.st_ino};
    if (!config_.gate->writer_opened(key, [&] { return ::fstat(h->fd.get(), &st) == 0 && st.st_nlink > 0; }))
      refuse(ESTALE, "the raw file was just released to the store");
    h->writer = GateWriter(config_.gate, key);
  }
  chown_to_caller(req, dir.fd.get(), name);
  std::string dir_rel = rel_of(dir);
  h->scan_dir = dir_rel;
  h->track = !monitor_.is_marker(name);
  note_create(dir_rel, name);
  // Last, since it takes a lookup reference that an exception would leak.
  fuse_entry_param e = do_lookup(dir, name);
  fi->fh = handles_->files.adopt(std::move(h));
  if (fuse_reply_create(req, &e, fi) != 0) {
    handles_->files.take(fi);
    inodes_.forget(inodes_.get(e.ino), 1);
  }
}

void FuseFilesystem::read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  FileHandle& h = fh_ref<FileHandle>(fi);
  if (h.compressed) {
    auto buf = std::make_unique_for_overwrite<uint8_t[]>(size);
    size_t n = view_.read(*h.compressed, uint64_t(off), std::span<uint8_t>(buf.get(), size));
    fuse_reply_buf(req, reinterpret_cast<const char*>(buf.get()), std::min(n, size));
    return;
  }
  fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
  buf.buf[0].flags = fuse_buf_flags(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  buf.buf[0].fd = h.fd.get();
  buf.buf[0].pos = off;
  fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);  // replies with the error itself if the read fails
}

void FuseFilesystem::write_buf(fuse_req_t req, fuse_ino_t, fuse_bufvec* in, off_t off, fuse_file_info* fi) {
  FileHandle& h = fh_ref<FileHandle>(fi);
  if (h.compressed) refuse(EROFS, "compressed files are read-only");
  fuse_bufvec out = FUSE_BUFVEC_INIT(fuse_buf_size(in));
  out.buf[0].flags = fuse_buf_flags(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
  out.buf[0].fd = h.fd.get();
  out.buf[0].pos = off;
  ssize_t n = fuse_buf_copy(&out, in, fuse_buf_copy_flags(0));
  if (n < 0) refuse(int(-n), "write");
  note_write(h);
  fuse_reply_write(req, size_t(n));
}

void FuseFilesystem::flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  FileHandle& h = fh_ref<FileHandle>(fi);
  if (h.fd) {
    // Closing a duplicate reports deferred write errors (NFS-backed SOURCE) and drops POSIX locks.
    UniqueFd dup(::dup(h.fd.get()));
    if (!dup) throw_errno("flush");
    if (::close(dup.release()) < 0) throw_errno("flush");
  }
  fuse_reply_err(req, 0);
}

void FuseFilesystem::release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  handles_->files.take(fi);  // closes the descriptor, then ends the gate registration
  fuse_reply_err(req, 0);
}

void FuseFilesystem::fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  FileHandle& h = fh_ref<FileHandle>(fi);
  if (h.fd && (datasync ? ::fdatasync(h.fd.get()) : ::fsync(h.fd.get())) < 0) throw_errno("fsync");
  fuse_reply_err(req, 0);
}

}  // namespace srsfs::fs
