// The FUSE low-level operations of srsfs: a pass-through of SOURCE's tree (after libfuse's passthrough_hp:
// inode table keyed by (st_dev, st_ino), O_PATH descriptors) merged with the read-only compressed files of a
// CompressedView, plus the scan-lifecycle hooks of a ScanMonitor.
//
// Rules the operations keep:
//   - A directory lists its raw entries in SOURCE plus the view's compressed files; on a name clash (only
//     while the compressor releases raw frames) the raw file wins.
//   - Compressed files are read-only: opening one for writing, truncating it, or changing its mode, owner,
//     times or xattrs fails with EROFS ("Read-only file system"): the precise truth (the bytes live in the
//     read-only compressed store), and what cp, tar, touch, rsync and editors print without suggesting that a
//     chmod or a different user would help, as EPERM/EACCES would. Hard links to them fail with EPERM (the
//     store has no link counts). Unlink and rename go to the view.
//   - The store directory, when it lies inside SOURCE, is hidden: lookups and listings do not show it and
//     creating that name is refused (EPERM).
//   - st_ino reported for raw objects is SOURCE's st_ino; for compressed files, the original file's (a
//     store-assigned one when SOURCE had already reused that number for another stored file's raw copy).
//   - The kernel's entry cache is told when the compressor releases a raw file (invalidate_entry); see
//     fs/compressed_view.h for the cache semantics.
#pragma once
#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "fs/compressed_view.h"
#include "fs/fuse_api.h"
#include "fs/fuse_inode_table.h"
#include "fs/fuse_unique_fd.h"
#include "fs/scan_monitor.h"
#include "fs/write_gate.h"

namespace srsfs::fs {

struct FilesystemConfig {
  std::filesystem::path source;                  // the directory mirrored
  std::optional<std::filesystem::path> hidden;   // the store directory, hidden when it is inside source
  double timeout_s = 1.0;  // kernel entry/attr cache: short, because the compressor changes SOURCE behind us
  // Shared with the compressor, which releases raw files only through it; null when nothing releases any.
  WriteGate* gate = nullptr;
};

class FuseFilesystem {
 public:
  // Opens SOURCE; throws srsfs::Error (Errc::io / not_found) with a message naming the path.
  FuseFilesystem(FilesystemConfig config, CompressedView& view, ScanMonitor& monitor);
  ~FuseFilesystem();
  FuseFilesystem(const FuseFilesystem&) = delete;
  FuseFilesystem& operator=(const FuseFilesystem&) = delete;

  // Frees the handles the kernel never released (those open at unmount: it sends no RELEASE for them), which
  // also ends their WriteGate registrations. Call once the session's loop has returned.
  void drop_open_handles();
  size_t open_handles();  // files and directories (tests)

  // The operation table; the session's userdata must be this FuseFilesystem.
  static const fuse_lowlevel_ops& operations();

  InodeTable& inodes() { return inodes_; }

  // SOURCE's name dir_rel/name changed behind the kernel (the compressor released a raw file): drops the
  // kernel's cached entry, if it has one, so that the next lookup finds the compressed file. Never call it from
  // a request handler of this filesystem (the kernel may hold the directory's lock while waiting for us).
  void invalidate_entry(fuse_session* se, const std::string& dir_rel, const std::string& name) noexcept;

  // --- operations (called through operations(); each replies exactly once or throws before replying) ---
  void init(fuse_conn_info* conn);
  void lookup(fuse_req_t req, fuse_ino_t parent, const char* name);
  void forget(fuse_ino_t ino, uint64_t nlookup);
  void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int valid, fuse_file_info* fi);
  void readlink(fuse_req_t req, fuse_ino_t ino);
  void mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev);
  void mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode);
  void symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name);
  void link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t parent, const char* name);
  void unlink(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rmdir(fuse_req_t req, fuse_ino_t parent, const char* name);
  void rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent, const char* newname,
              unsigned flags);
  void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi);
  void read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi);
  void write_buf(fuse_req_t req, fuse_ino_t ino, fuse_bufvec* in, off_t off, fuse_file_info* fi);
  void flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void fsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
  void opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi, bool plus);
  void releasedir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi);
  void fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi);
  void statfs(fuse_req_t req, fuse_ino_t ino);
  void setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size, int flags);
  void getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size);
  void listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
  void removexattr(fuse_req_t req, fuse_ino_t ino, const char* name);

  // Per-open state (fs/fuse_handles.h).
  struct FileHandle;
  struct DirHandle;
  struct OpenHandleLists;

 private:

  // The lookup that lookup/mknod/mkdir/create/readdirplus share: takes one reference on the result.
  fuse_entry_param do_lookup(Inode& parent, const std::string& name);
  Inode& raw_dir(fuse_ino_t ino);  // throws ENOTDIR unless ino is a directory of SOURCE
  fuse_entry_param entry_for(Inode& node, const struct stat& st) const;
  struct stat stat_of(Inode& node);
  // SOURCE-relative path of a raw directory (or file), from its O_PATH descriptor; "" for the root.
  std::string rel_of(const Inode& raw);
  std::string rel_of_compressed(const Inode& node);
  static std::string join(const std::string& dir_rel, const std::string& name);
  // The compressed file `name` in a raw directory, if the view has one.
  std::optional<CompressedEntry> compressed_in(Inode& dir, const std::string& name);
  bool is_hidden(const Inode& parent, const std::string& name) const;
  bool is_hidden(const struct stat& st) const;
  // Refuses creating `name` in parent: the hidden store name, or a name the view already holds.
  void check_new_name(Inode& parent, const std::string& name);
  // As root, gives a new object to the requesting user (the kernel sends us the caller's ids).
  void chown_to_caller(fuse_req_t req, int dirfd, const std::string& name);
  // Tell the scan monitor; never throws (the operation it follows has already happened).
  void note_create(const std::string& dir_rel, const std::string& name) noexcept;
  void note_write(FileHandle& h) noexcept;
  DirHandle& dir_handle(fuse_file_info* fi);
  // Registers a change of the raw file `node` with the gate (an open for writing or one setattr); ESTALE when
  // the compressor released it meanwhile (the kernel then looks the name up again).
  GateWriter begin_write(Inode& node);
  void reply_open(fuse_req_t req, fuse_file_info* fi, std::unique_ptr<FileHandle>&& h);

  const FilesystemConfig config_;
  std::string source_abs_;  // realpath of SOURCE, for rel_of
  CompressedView& view_;
  ScanMonitor& monitor_;
  InodeTable inodes_;
  std::unique_ptr<OpenHandleLists> handles_;
  // The hidden store directory: its identity and where its name lives.
  bool hide_ = false;
  dev_t hidden_dev_ = 0;
  ino_t hidden_ino_ = 0;
  dev_t hidden_parent_dev_ = 0;
  ino_t hidden_parent_ino_ = 0;
  std::string hidden_name_;
};

// "/proc/self/fd/N": opens, chmods and xattrs reach an O_PATH descriptor's object through it.
std::string proc_fd_path(int fd);

}  // namespace srsfs::fs
