// The seams between the FUSE daemon core and the compressed side (LMDB store + block cache + codec) and the
// background compressor. The daemon core only talks to these interfaces; the real implementations are
// supplied through MountHooks (fs/mount_main.h).
//
// Paths ("rel" paths) are relative to SOURCE, '/'-separated, without a leading or trailing slash; the
// SOURCE root itself is "". Example: "scan_0042/frame_00017.tif".
#pragma once
#include <sys/stat.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codec/error.h"

namespace srsfs::fs {

// Extended attributes the daemon interprets instead of storing them in SOURCE.
inline constexpr const char* kXattrPrefix = "user.srsfs.";
// setxattr on a directory (any value): request compression of that scan now (`srsfs-admin compress`).
inline constexpr const char* kXattrCompress = "user.srsfs.compress";
// getxattr on a directory or file: human-readable scan state (ScanSink::scan_state; "raw" for a raw file).
inline constexpr const char* kXattrState = "user.srsfs.state";
// getxattr on a compressed file or a compressed scan's directory: stored bytes / raw bytes of its scan.
inline constexpr const char* kXattrRatio = "user.srsfs.ratio";
// getxattr on a compressed file or a compressed scan's directory: the scan's directory (SOURCE-relative).
inline constexpr const char* kXattrScan = "user.srsfs.scan";
// getxattr on the mount root: the daemon's status as one JSON document (`srsfs-admin status`), at most
// kStatusMaxBytes (the kernel's limit on an attribute value); the scan list is cut short to fit.
inline constexpr const char* kXattrStatus = "user.srsfs.status";
inline constexpr size_t kStatusMaxBytes = 60 * 1024;

inline constexpr const char* kDefaultCompleteMarker = ".complete";
inline constexpr const char* kDefaultStoreName = ".srsfs";

// What getattr/readdir show for a compressed file: the ORIGINAL file's size, mode, owner, times and st_ino.
struct CompressedEntry {
  std::string name;  // file name within its directory
  struct stat st {};
};

// A compressed file resolved at open: reads through it never look the path up again, so an open descriptor
// keeps reading its own bytes after the name is renamed over or unlinked (POSIX; rsync relies on it).
class OpenedFile {
 public:
  virtual ~OpenedFile() = default;
};

// Compressed files, served read-only. Every method may be called concurrently from many FUSE threads.
// Errors: throw srsfs::Error (Errc::not_found -> ENOENT, corrupt/io -> EIO, no_space -> ENOSPC, ...).
class CompressedView {
 public:
  virtual ~CompressedView() = default;
  // One compressed file in directory dir_rel, or nullopt.
  virtual std::optional<CompressedEntry> lookup(const std::string& dir_rel, const std::string& name) = 0;
  // Every compressed file directly in dir_rel (not recursive); empty when none.
  virtual std::vector<CompressedEntry> list(const std::string& dir_rel) = 0;
  // Copies original bytes [offset, offset + out.size()) into out; returns the count, short only at EOF.
  virtual size_t read(const std::string& rel_path, uint64_t offset, std::span<uint8_t> out) = 0;
  // The file as it is now, for reads by handle (Errc::not_found when absent); `read(file, ...)` takes only
  // what this view's open returned.
  virtual std::shared_ptr<const OpenedFile> open(const std::string& rel_path) = 0;
  virtual size_t read(const OpenedFile& file, uint64_t offset, std::span<uint8_t> out) = 0;
  // Deletes one compressed file.
  virtual void unlink(const std::string& rel_path) = 0;
  // Renames one compressed file; to_rel's directory exists in SOURCE; an existing compressed to_rel is
  // replaced (POSIX rename semantics; the daemon has already checked RENAME_NOREPLACE).
  virtual void rename(const std::string& from_rel, const std::string& to_rel) = 0;
  // A directory of SOURCE was renamed (called after SOURCE's rename): move every compressed file under from_rel
  // (recursively) to to_rel.
  // Must be a cheap no-op when nothing is stored under from_rel.
  virtual void rename_dir(const std::string& from_rel, const std::string& to_rel) = 0;
  // Value of attribute `name`, or nullopt when it has none: a daemon attribute (kXattrPrefix) of a compressed
  // file or scan directory, or a user.* attribute the compressed file rel_path kept from its raw file.
  virtual std::optional<std::string> getxattr(const std::string& rel_path, const std::string& name) = 0;
  // Stopping: reads waiting for decode work give up (Errc::io) once `check` returns true (polled; nullptr
  // forgets it), or for good after stop_reads(). The daemon sets the check to "the FUSE session has exited",
  // so that unmount and SIGTERM do not wait for a backlog of decodes. A view with no such work ignores both.
  virtual void set_stop_check(std::function<bool()> check) {}
  virtual void stop_reads() {}
  // Names of the user.* attributes compressed file rel_path kept (never the daemon's kXattrPrefix names,
  // which are read by name only), sorted; empty when none.
  virtual std::vector<std::string> listxattr(const std::string& rel_path) {
    (void)rel_path;
    return {};
  }
};

// Kernel-cache semantics (how the mount stays correct while the compressor works behind it):
//   - Entries and attributes are cached by the kernel for FilesystemConfig::timeout_s (1 s). When the
//     compressor releases a raw file it tells the kernel (KernelCache::name_changed ->
//     fuse_lowlevel_notify_inval_entry), so the next lookup finds the compressed file at once. A process that
//     still holds the old entry (or an open descriptor) reaches the unlinked raw file through the pinned
//     O_PATH descriptor of its inode: the same bytes, so no stale entry can return wrong data. Negative
//     entries are never cached (ENOENT replies carry no entry), so a name cannot "vanish" after a release.
//   - st_ino: a compressed file reports the st_ino its raw file had (recorded at commit). The FUSE node id of
//     a compressed file is stable for as long as the kernel remembers it (keyed by parent node and name). A
//     caveat: once the raw file is gone, SOURCE's filesystem may reuse that inode number for a new raw file
//     (ext4 does so at once); while that file is raw both show the number, and when it is compressed in turn
//     the store (whose inode numbers are unique) gives it a new one, so its st_ino changes at compression.
//   - Compressed files keep their page cache across opens (their bytes never change); raw files do not.
//   - The marker file (".complete") is part of the scan: it is compressed and released like any other file,
//     so afterwards it is a read-only compressed file (touching it again fails with EROFS). At start,
//     Compressor::resume re-queues a scan whose marker is still raw and which the store does not hold, and
//     every scan that was queued (marker, idle or request) when the daemon stopped.

// Lets the compressed side tell the kernel that SOURCE changed behind the mount. Thread-safe; never blocks on
// a FUSE request.
class KernelCache {
 public:
  virtual ~KernelCache() = default;
  // The name `name` in directory dir_rel now means something else (a raw file was released).
  virtual void name_changed(const std::string& dir_rel, const std::string& name) noexcept = 0;
};

class NoKernelCache final : public KernelCache {
 public:
  void name_changed(const std::string&, const std::string&) noexcept override {}
};

// Receives "this scan directory is complete" from the ScanMonitor (marker file, idle timeout or explicit
// request). Implemented by the background compressor. Thread-safe; scan_complete must not block on
// compression (queue it) because it may run on a FUSE thread.
class ScanSink {
 public:
  virtual ~ScanSink() = default;
  virtual void scan_complete(const std::string& dir_rel) = 0;
  // Text for `getfattr -n user.srsfs.state DIR`, e.g. "raw", "queued", "compressing 40%", "compressed".
  virtual std::string scan_state(const std::string& dir_rel) = 0;
  // The JSON document of user.srsfs.status (see kXattrStatus); `writing`: scan directories the monitor sees
  // being written. At most kStatusMaxBytes.
  virtual std::string status_json(const std::vector<std::string>& writing) {
    (void)writing;
    return "{}";
  }
};

// Until the store exists: no compressed files.
class EmptyCompressedView final : public CompressedView {
 public:
  std::optional<CompressedEntry> lookup(const std::string&, const std::string&) override { return {}; }
  std::vector<CompressedEntry> list(const std::string&) override { return {}; }
  size_t read(const std::string&, uint64_t, std::span<uint8_t>) override { return 0; }
  std::shared_ptr<const OpenedFile> open(const std::string& p) override {
    fail(Errc::not_found, "{}: no compressed files here", p);
  }
  size_t read(const OpenedFile&, uint64_t, std::span<uint8_t>) override { return 0; }
  void unlink(const std::string&) override {}
  void rename(const std::string&, const std::string&) override {}
  void rename_dir(const std::string&, const std::string&) override {}
  std::optional<std::string> getxattr(const std::string&, const std::string&) override { return {}; }
};

}  // namespace srsfs::fs
