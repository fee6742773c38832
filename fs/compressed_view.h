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
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace srsfs::fs {

// Extended attributes the daemon interprets instead of storing them in SOURCE.
inline constexpr const char* kXattrPrefix = "user.srsfs.";
// setxattr on a directory (any value): request compression of that scan now (`srsfs-admin compress`).
inline constexpr const char* kXattrCompress = "user.srsfs.compress";
// getxattr on a directory: human-readable scan state (ScanSink::scan_state).
inline constexpr const char* kXattrState = "user.srsfs.state";

inline constexpr const char* kDefaultCompleteMarker = ".complete";
inline constexpr const char* kDefaultStoreName = ".srsfs";

// What getattr/readdir show for a compressed file: the ORIGINAL file's size, mode, owner, times and st_ino.
struct CompressedEntry {
  std::string name;  // file name within its directory
  struct stat st {};
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
  // Deletes one compressed file.
  virtual void unlink(const std::string& rel_path) = 0;
  // Renames one compressed file; to_rel's directory exists in SOURCE; an existing compressed to_rel is
  // replaced (POSIX rename semantics; the daemon has already checked RENAME_NOREPLACE).
  virtual void rename(const std::string& from_rel, const std::string& to_rel) = 0;
  // A directory of SOURCE was renamed: move every compressed file under from_rel (recursively) to to_rel.
  // Must be a cheap no-op when nothing is stored under from_rel.
  virtual void rename_dir(const std::string& from_rel, const std::string& to_rel) = 0;
  // Value of attribute `name` (always starts with kXattrPrefix), or nullopt when it has none.
  virtual std::optional<std::string> getxattr(const std::string& rel_path, const std::string& name) = 0;
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
};

// Until the store exists: no compressed files.
class EmptyCompressedView final : public CompressedView {
 public:
  std::optional<CompressedEntry> lookup(const std::string&, const std::string&) override { return {}; }
  std::vector<CompressedEntry> list(const std::string&) override { return {}; }
  size_t read(const std::string&, uint64_t, std::span<uint8_t>) override { return 0; }
  void unlink(const std::string&) override {}
  void rename(const std::string&, const std::string&) override {}
  void rename_dir(const std::string&, const std::string&) override {}
  std::optional<std::string> getxattr(const std::string&, const std::string&) override { return {}; }
};

}  // namespace srsfs::fs
