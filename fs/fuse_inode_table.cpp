#include "fs/fuse_inode_table.h"

#include <vector>

namespace srsfs::fs {

InodeTable::InodeTable(UniqueFd root_fd, const struct stat& root_st) {
  root_.fd = std::move(root_fd);
  root_.type = root_st.st_mode & S_IFMT;
  root_.dev = root_st.st_dev;
  root_.ino = root_st.st_ino;
  root_.nlookup = 1;  // never forgotten
}

Inode& InodeTable::ref_raw(UniqueFd fd, const struct stat& st) {
  std::lock_guard lock(mu_);
  DevIno key{st.st_dev, st.st_ino};
  if (key == DevIno{root_.dev, root_.ino}) return root_;  // e.g. a bind mount looping back
  if (auto it = raw_.find(key); it != raw_.end()) {
    ++it->second->nlookup;
    return *it->second;  // fd closes: the node already pins the object
  }
  auto node = std::make_unique<Inode>();
  node->kind = Inode::Kind::raw;
  node->type = st.st_mode & S_IFMT;
  node->fd = std::move(fd);
  node->dev = st.st_dev;
  node->ino = st.st_ino;
  node->nlookup = 1;
  Inode* p = node.get();
  all_.emplace(p, std::move(node));
  raw_.emplace(key, p);
  return *p;
}

Inode& InodeTable::ref_compressed(Inode& parent, const CompressedEntry& e) {
  std::lock_guard lock(mu_);
  auto key = std::make_pair(&parent, e.name);
  if (auto it = compressed_.find(key); it != compressed_.end()) {
    ++it->second->nlookup;
    it->second->st = e.st;
    return *it->second;
  }
  auto node = std::make_unique<Inode>();
  node->kind = Inode::Kind::compressed;
  node->type = e.st.st_mode & S_IFMT;
  node->parent = &parent;
  node->name = e.name;
  node->st = e.st;
  node->nlookup = 1;
  ++parent.nlookup;  // the child names its parent: keep it alive
  Inode* p = node.get();
  all_.emplace(p, std::move(node));
  compressed_.emplace(std::move(key), p);
  return *p;
}

fuse_ino_t InodeTable::find_raw(dev_t dev, ino_t ino) {
  std::lock_guard lock(mu_);
  if (DevIno{dev, ino} == DevIno{root_.dev, root_.ino}) return FUSE_ROOT_ID;
  auto it = raw_.find(DevIno{dev, ino});
  return it == raw_.end() ? 0 : id(*it->second);
}

void InodeTable::forget(Inode& i, uint64_t n) {
  std::lock_guard lock(mu_);
  forget_locked(&i, n);
}

void InodeTable::forget_locked(Inode* i, uint64_t n) {
  while (i && i != &root_) {
    i->nlookup = n >= i->nlookup ? 0 : i->nlookup - n;
    if (i->nlookup) return;
    Inode* parent = nullptr;
    if (i->is_raw()) {
      auto it = raw_.find(DevIno{i->dev, i->ino});
      if (it != raw_.end() && it->second == i) raw_.erase(it);
    } else {
      auto it = compressed_.find({i->parent, i->name});
      if (it != compressed_.end() && it->second == i) compressed_.erase(it);
      parent = i->parent;
    }
    all_.erase(i);
    i = parent;  // release the hold on the parent
    n = 1;
  }
}

std::pair<Inode*, std::string> InodeTable::location(const Inode& i) {
  std::lock_guard lock(mu_);
  return {i.parent, i.name};
}

struct stat InodeTable::compressed_stat(const Inode& i) {
  std::lock_guard lock(mu_);
  return i.st;
}

void InodeTable::renamed_compressed(Inode& from_parent, const std::string& from, Inode& to_parent,
                                    const std::string& to) {
  std::lock_guard lock(mu_);
  // A compressed file previously at the target is replaced.
  if (auto it = compressed_.find({&to_parent, to}); it != compressed_.end()) {
    it->second->unlinked = true;
    compressed_.erase(it);
  }
  auto it = compressed_.find({&from_parent, from});
  if (it == compressed_.end()) return;  // never looked up: nothing to re-key
  Inode* node = it->second;
  compressed_.erase(it);
  if (node->parent != &to_parent) {
    ++to_parent.nlookup;
    node->parent = &to_parent;
    forget_locked(&from_parent, 1);  // from_parent is still referenced by the kernel: this never frees it
  }
  node->name = to;
  compressed_.emplace(std::make_pair(&to_parent, to), node);
}

void InodeTable::unlinked_compressed(Inode& parent, const std::string& name) {
  std::lock_guard lock(mu_);
  if (auto it = compressed_.find({&parent, name}); it != compressed_.end()) {
    it->second->unlinked = true;
    compressed_.erase(it);
  }
}

size_t InodeTable::size() {
  std::lock_guard lock(mu_);
  return all_.size();
}

}  // namespace srsfs::fs
