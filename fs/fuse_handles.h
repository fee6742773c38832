// Per-open state of FuseFilesystem, owned through fuse_file_info::fh. Private to the fs/fuse_*.cpp files.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fs/fuse_api.h"
#include "fs/fuse_filesystem.h"
#include "fs/fuse_unique_fd.h"

namespace srsfs::fs {

struct FuseFilesystem::FileHandle {
  UniqueFd fd;                  // a raw file
  Inode* compressed = nullptr;  // or a compressed file (read-only, no descriptor)
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

// Ownership of handles passes through the kernel as fi->fh.
template <typename T>
uint64_t handle_to_fh(std::unique_ptr<T> h) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(h.release()));
}
template <typename T>
T& fh_ref(const fuse_file_info* fi) {
  return *reinterpret_cast<T*>(static_cast<uintptr_t>(fi->fh));
}
template <typename T>
std::unique_ptr<T> fh_take(fuse_file_info* fi) {
  std::unique_ptr<T> h(reinterpret_cast<T*>(static_cast<uintptr_t>(fi->fh)));
  fi->fh = 0;
  return h;
}

}  // namespace srsfs::fs
