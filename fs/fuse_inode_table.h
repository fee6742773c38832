// The inodes the kernel knows about, keyed so that one source object has one FUSE node id.
//
// Raw inodes (files, dirs, symlinks of SOURCE) are keyed by (st_dev, st_ino) and hold an O_PATH descriptor,
// like libfuse's passthrough_hp: the descriptor pins the object, so its st_ino cannot be reused while the
// kernel may still name it, and the object stays reachable across renames done outside the mount.
// Compressed inodes exist only in the CompressedView; they are keyed by (parent directory, name), hold one
// reference on their parent and are re-keyed when renamed through the mount.
//
// The FUSE node id is the Inode's address (FUSE_ROOT_ID for the root), as in passthrough_hp: the kernel
// promises not to use an id after forgetting it, so no lock is needed to resolve one.
#pragma once
#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "fs/compressed_view.h"
#include "fs/fuse_api.h"
#include "fs/fuse_unique_fd.h"

namespace srsfs::fs {

struct Inode {
  enum class Kind : uint8_t { raw, compressed };
  Kind kind = Kind::raw;
  mode_t type = 0;  // S_IFMT bits; an object never changes type
  // raw
  UniqueFd fd;  // O_PATH | O_NOFOLLOW
  dev_t dev = 0;
  ino_t ino = 0;
  // compressed, guarded by the table's mutex (renames re-key them)
  Inode* parent = nullptr;
  std::string name;
  struct stat st {};
  bool unlinked = false;  // its name is gone; the node lives until the kernel forgets it
  // guarded by the table's mutex
  uint64_t nlookup = 0;

  bool is_raw() const { return kind == Kind::raw; }
  bool is_dir() const { return S_ISDIR(type); }
};

class InodeTable {
 public:
  // root_fd: O_PATH descriptor of SOURCE.
  InodeTable(UniqueFd root_fd, const struct stat& root_st);
  InodeTable(const InodeTable&) = delete;
  InodeTable& operator=(const InodeTable&) = delete;

  Inode& root() { return root_; }
  Inode& get(fuse_ino_t id) {
    return id == FUSE_ROOT_ID ? root_ : *reinterpret_cast<Inode*>(static_cast<uintptr_t>(id));
  }
  fuse_ino_t id(const Inode& i) const {
    return &i == &root_ ? FUSE_ROOT_ID : static_cast<fuse_ino_t>(reinterpret_cast<uintptr_t>(&i));
  }

  // The raw inode for st's (dev, ino), with one more lookup reference. Adopts fd when the inode is new.
  Inode& ref_raw(UniqueFd fd, const struct stat& st);
  // The compressed inode for (parent, e.name), with one more lookup reference; refreshes its stat.
  Inode& ref_compressed(Inode& parent, const CompressedEntry& e);
  // The node id the kernel knows for the raw object (dev, ino), or 0; takes no reference (for notifications,
  // where a stale id is harmless: the kernel ignores ids it does not know).
  fuse_ino_t find_raw(dev_t dev, ino_t ino);
  // Drops n lookup references; frees the inode (and its hold on a parent) at zero.
  void forget(Inode& i, uint64_t n);

  // Where a compressed inode lives now, and its stat.
  std::pair<Inode*, std::string> location(const Inode& i);
  struct stat compressed_stat(const Inode& i);
  // The compressed file (parent, name) was renamed / unlinked through the mount.
  void renamed_compressed(Inode& from_parent, const std::string& from, Inode& to_parent, const std::string& to);
  void unlinked_compressed(Inode& parent, const std::string& name);

  size_t size();  // inodes held, root excluded (tests, leak checks)

 private:
  void forget_locked(Inode* i, uint64_t n);
  struct DevIno {
    dev_t dev;
    ino_t ino;
    auto operator<=>(const DevIno&) const = default;
  };
  Inode root_;
  std::mutex mu_;
  std::unordered_map<Inode*, std::unique_ptr<Inode>> all_;
  std::map<DevIno, Inode*> raw_;
  std::map<std::pair<Inode*, std::string>, Inode*> compressed_;
};

}  // namespace srsfs::fs
