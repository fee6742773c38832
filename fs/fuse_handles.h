// Per-open state of FuseFilesystem, owned through fuse_file_info::fh. Private to the fs/fuse_*.cpp files.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fs/fuse_api.h"
#include "fs/fuse_filesystem.h"
#include "fs/fuse_unique_fd.h"
#include "fs/write_gate.h"

namespace srsfs::fs {

struct FuseFilesystem::FileHandle {
  GateWriter writer;            // for a raw file open for writing; declared before fd: closed after it
  UniqueFd fd;                  // a raw file
  std::shared_ptr<const OpenedFile> compressed;  // or a compressed file, resolved at open (read-only)
  bool track = false;            // writes count as activity of scan_dir (not for the marker, not read-only)
  std::string scan_dir;
  std::atomic<int64_t> last_note_ns{INT64_MIN / 2};  // throttles ScanMonitor::on_write
};

struct FuseFilesystem::DirHandle {
  struct Entry {
    std::string name;
    ino_t ino = 0;
    unsigned char type = DT_UNKNOWN;
    std::optional<struct stat> compressed;  // set for the view's files: readdirplus needs no second lookup
  };
  explicit DirHandle(Inode& d) : dir(d) {}
  Inode& dir;
  std::mutex mu;  // readdir calls on one handle may overlap
  bool loaded = false;
  std::vector<Entry> entries;  // snapshot taken at offset 0; offsets are indices + 1
};

// Ownership of handles passes through the kernel as fi->fh, and stays listed in the filesystem's OpenHandles
// meanwhile: the kernel sends no RELEASE/RELEASEDIR for handles still open at unmount, and those are freed
// with the filesystem (drop_open_handles).
template <typename T>
T& fh_ref(const fuse_file_info* fi) {
  return *reinterpret_cast<T*>(static_cast<uintptr_t>(fi->fh));
}

template <typename T>
class OpenHandles {
 public:
  uint64_t adopt(std::unique_ptr<T> h) {
    T* p = h.get();
    std::lock_guard lock(mu_);
    live_.emplace(p, std::move(h));
    return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
  }
  std::unique_ptr<T> take(fuse_file_info* fi) {
    T* p = reinterpret_cast<T*>(static_cast<uintptr_t>(std::exchange(fi->fh, 0)));
    std::lock_guard lock(mu_);
    auto node = live_.extract(p);
    return node.empty() ? nullptr : std::move(node.mapped());
  }
  // Frees every handle still open. Only when no request can come any more.
  void clear() {
    std::unordered_map<T*, std::unique_ptr<T>> gone;
    {
      std::lock_guard lock(mu_);
      gone.swap(live_);
    }
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return live_.size();
  }

 private:
  std::mutex mu_;
  std::unordered_map<T*, std::unique_ptr<T>> live_;
};

struct FuseFilesystem::OpenHandleLists {
  OpenHandles<FileHandle> files;
  OpenHandles<DirHandle> dirs;
};

}  // namespace srsfs::fs
