// The resident set of one cache shard and its eviction policy. Not thread-safe: the shard's mutex guards it.
//
// S3-FIFO (Yang et al., SOSP'23): new blocks enter a small FIFO; a block hit while there moves to the main
// FIFO when it reaches the small FIFO's end, others leave and their keys go to a ghost FIFO; a ghost key that
// comes back enters main directly. Main is a FIFO with a second chance per hit (up to 3). A one-pass
// sequential read thus flows through the small FIFO without displacing blocks that are read again. LRU is kept
// for comparison (tools/microbench).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>

namespace srsfs::cache {

enum class EvictionPolicy { s3fifo, lru };

template <class Key, class Value, class Hash>
class ResidentSet {
 public:
  using Ptr = std::shared_ptr<const Value>;

  ResidentSet(EvictionPolicy policy, size_t capacity_bytes, double small_fraction)
      : policy_(policy), capacity_(capacity_bytes), small_target_(size_t(double(capacity_bytes) * small_fraction)) {}

  struct Hit {
    Ptr value;
    bool first_hit_of_prefetch = false;
  };
  // A resident value, recorded as used; nullptr when absent.
  Hit hit(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return {};
    Entry& e = *it->second;
    Hit h{e.value, e.prefetched};
    e.prefetched = false;
    if (policy_ == EvictionPolicy::lru) {
      main_.splice(main_.begin(), main_, it->second);
    } else {
      e.freq = uint8_t(std::min(3, e.freq + 1));
    }
    return h;
  }
  bool contains(const Key& key) const { return index_.count(key) != 0; }

  // Inserts (or replaces) and evicts until within capacity; returns the number of evictions. A value larger
  // than the whole shard is not kept.
  size_t insert(const Key& key, Ptr value, size_t bytes, bool prefetched) {
    erase(key);
    if (bytes > capacity_) return 0;
    bool to_main = policy_ == EvictionPolicy::lru;
    if (!to_main) {
      auto g = ghost_index_.find(key);
      if (g != ghost_index_.end()) {
        ghost_.erase(g->second);
        ghost_index_.erase(g);
        to_main = true;
      }
    }
    List& q = to_main ? main_ : small_;
    q.push_front(Entry{key, std::move(value), bytes, 0, to_main, prefetched});
    index_[key] = q.begin();
    (to_main ? main_bytes_ : small_bytes_) += bytes;
    size_t evicted = 0;
    while (small_bytes_ + main_bytes_ > capacity_) evicted += evict_one();
    return evicted;
  }

  bool erase(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    auto e = it->second;
    (e->in_main ? main_bytes_ : small_bytes_) -= e->bytes;
    (e->in_main ? main_ : small_).erase(e);
    index_.erase(it);
    return true;
  }

  void clear() {
    small_.clear();
    main_.clear();
    index_.clear();
    ghost_.clear();
    ghost_index_.clear();
    small_bytes_ = main_bytes_ = 0;
  }

  size_t bytes() const { return small_bytes_ + main_bytes_; }
  size_t entries() const { return index_.size(); }

 private:
  struct Entry {
    Key key;
    Ptr value;  // readers hold their own shared_ptr: dropping this one never frees a block in use
    size_t bytes;
    uint8_t freq;
    bool in_main;
    bool prefetched;
  };
  using List = std::list<Entry>;  // front: newest; back: next to leave

  // Evicts at most one entry (moving entries between queues on the way); returns 1 if one left.
  size_t evict_one() {
    if (policy_ == EvictionPolicy::s3fifo && !small_.empty() && (small_bytes_ >= small_target_ || main_.empty())) {
      Entry& e = small_.back();
      if (e.freq > 0) {  // hit while in the small FIFO: promote
        e.freq = 0;
        e.in_main = true;
        small_bytes_ -= e.bytes;
        main_bytes_ += e.bytes;
        main_.splice(main_.begin(), small_, std::prev(small_.end()));
        return 0;
      }
      remember_ghost(e.key);
      return drop(small_, small_bytes_);
    }
    Entry& e = main_.back();
    if (policy_ == EvictionPolicy::s3fifo && e.freq > 0) {  // second chance
      --e.freq;
      main_.splice(main_.begin(), main_, std::prev(main_.end()));
      return 0;
    }
    return drop(main_, main_bytes_);
  }

  size_t drop(List& q, size_t& q_bytes) {
    Entry& e = q.back();
    q_bytes -= e.bytes;
    index_.erase(e.key);
    q.pop_back();
    return 1;
  }

  // The ghost FIFO remembers about as many keys as the cache holds entries.
  void remember_ghost(const Key& key) {
    if (ghost_index_.count(key)) return;
    ghost_.push_front(key);
    ghost_index_[key] = ghost_.begin();
    size_t cap = std::max<size_t>(index_.size(), 16);
    while (ghost_.size() > cap) {
      ghost_index_.erase(ghost_.back());
      ghost_.pop_back();
    }
  }

  EvictionPolicy policy_;
  size_t capacity_, small_target_;
  List small_, main_;  // LRU uses main_ only, front = most recently used
  size_t small_bytes_ = 0, main_bytes_ = 0;
  std::unordered_map<Key, typename List::iterator, Hash> index_;
  std::list<Key> ghost_;
  std::unordered_map<Key, typename std::list<Key>::iterator, Hash> ghost_index_;
};

}  // namespace srsfs::cache
