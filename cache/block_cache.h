// A thread-safe cache of decoded blocks, bounded in bytes. Keys hash to N shards, each with its own mutex,
// resident set (cache/eviction.h) and in-flight table:
//  - single flight: concurrent misses on one key run the loader once; the others wait for its result. A loader
//    exception reaches every waiter and nothing is cached (the next get tries again);
//  - prefetch: loads on a small worker pool with a bounded queue (dropped when full), never duplicating a load
//    a reader already started; a reader that asks for the block meanwhile joins that load;
//  - eviction only drops the cache's reference: a reader holding a shared_ptr keeps its block.
// Loaders run outside every lock.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "cache/cache_stats.h"
#include "cache/eviction.h"
#include "cache/worker_pool.h"
#include "codec/error.h"

namespace srsfs::cache {

struct CacheOptions {
  size_t capacity_bytes = size_t(256) << 20;  // across all shards
  size_t shards = 16;
  EvictionPolicy policy = EvictionPolicy::s3fifo;
  double small_fraction = 0.1;  // S3-FIFO: share of each shard for the small FIFO
  unsigned prefetch_threads = 2;  // 0: prefetch() is a no-op
  size_t prefetch_queue = 64;
};

// Bytes a value holds: size_bytes() if it has one, else size() elements of a contiguous container.
template <class V>
size_t default_byte_size(const V& v) {
  if constexpr (requires { v.size_bytes(); }) {
    return size_t(v.size_bytes());
  } else if constexpr (requires { v.size(); typename V::value_type; }) {
    return v.size() * sizeof(typename V::value_type);
  } else {
    return sizeof(V);
  }
}

template <class Key, class Value, class Hash = std::hash<Key>>
class BlockCache {
 public:
  using Ptr = std::shared_ptr<const Value>;
  using SizeFn = std::function<size_t(const Value&)>;

  explicit BlockCache(CacheOptions opts, SizeFn size = &default_byte_size<Value>)
      : opts_(opts), size_(std::move(size)) {
    if (opts_.shards == 0) fail(Errc::invalid_argument, "block cache: at least one shard is needed");
    shards_.reserve(opts_.shards);
    for (size_t i = 0; i < opts_.shards; ++i)
      shards_.push_back(std::make_unique<Shard>(opts_.policy, opts_.capacity_bytes / opts_.shards, opts_.small_fraction));
    if (opts_.prefetch_threads > 0) pool_ = std::make_unique<WorkerPool>(opts_.prefetch_threads, opts_.prefetch_queue);
  }
  ~BlockCache() {
    if (pool_) pool_->stop();  // before the shards the workers write into
  }
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // The cached value, or load() run once across all threads asking for `key` now. `load` returns a Value or
  // a shared_ptr to one; what it throws is rethrown here (and to every waiter).
  template <class Loader>
  Ptr get_or_load(const Key& key, Loader&& load) {
    return fetch(key, load, false);
  }

  // The cached value or nullptr; counts a hit or a miss.
  Ptr get(const Key& key) {
    Shard& sh = shard(key);
    std::lock_guard lock(sh.mu);
    Ptr v = hit_locked(sh, key);
    if (!v) CacheStats::add(sh.stats.misses);
    return v;
  }

  // Asks a worker to load `key` unless it is resident or loading; false when not queued. `load` must be
  // copyable; its exceptions are counted (load_failures) and dropped.
  template <class Loader>
  bool prefetch(const Key& key, Loader load) {
    Shard& sh = shard(key);
    {
      std::lock_guard lock(sh.mu);
      if (sh.resident.contains(key) || sh.inflight.count(key)) return false;
    }
    bool queued = pool_ && pool_->try_submit([this, key, load = std::move(load)]() mutable {
      try {
        fetch(key, load, true);
      } catch (...) {  // a hint failed; the reader who needs the block will load it and see the error
      }
    });
    CacheStats::add(queued ? sh.stats.prefetches : sh.stats.prefetch_dropped);
    return queued;
  }

  // Inserts a value computed as a by-product of another load (e.g. the other frames of a decoded group),
  // unless `key` is resident or being loaded. Never waits. Returns whether it was inserted.
  bool put_if_absent(const Key& key, Value value) {
    Shard& sh = shard(key);
    Ptr p = std::make_shared<const Value>(std::move(value));
    const size_t bytes = size_(*p);
    std::lock_guard lock(sh.mu);
    if (sh.resident.contains(key) || sh.inflight.count(key)) return false;
    CacheStats::add(sh.stats.evictions, sh.resident.insert(key, std::move(p), bytes, true));
    sync_gauges(sh);
    return true;
  }

  bool erase(const Key& key) {
    Shard& sh = shard(key);
    std::lock_guard lock(sh.mu);
    bool erased = sh.resident.erase(key);
    sync_gauges(sh);
    return erased;
  }

  void clear() {
    for (auto& sh : shards_) {
      std::lock_guard lock(sh->mu);
      sh->resident.clear();
      sync_gauges(*sh);
    }
  }

  CacheStatsSnapshot stats() const {
    CacheStatsSnapshot total;
    for (const auto& sh : shards_) total += sh->stats.snapshot();
    return total;
  }
  size_t capacity_bytes() const { return opts_.capacity_bytes; }
  const CacheOptions& options() const { return opts_; }

 private:
  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    Ptr value;
    std::exception_ptr error;

    void complete(Ptr v, std::exception_ptr e) {
      {
        std::lock_guard lock(mu);
        value = std::move(v);
        error = std::move(e);
        done = true;
      }
      cv.notify_all();
    }
    Ptr wait() {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done; });
      if (error) std::rethrow_exception(error);
      return value;
    }
  };

  struct alignas(64) Shard {
    Shard(EvictionPolicy p, size_t cap, double small) : resident(p, cap, small) {}
    std::mutex mu;
    ResidentSet<Key, Value, Hash> resident;
    std::unordered_map<Key, std::shared_ptr<Flight>, Hash> inflight;
    CacheStats stats;
  };

  Shard& shard(const Key& key) {
    uint64_t h = uint64_t(Hash{}(key));
    h ^= h >> 33;  // std::hash of integers is the identity: mix before taking a remainder
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return *shards_[h % shards_.size()];
  }

  Ptr hit_locked(Shard& sh, const Key& key) {
    auto h = sh.resident.hit(key);
    if (h.value) {
      CacheStats::add(sh.stats.hits);
      if (h.first_hit_of_prefetch) CacheStats::add(sh.stats.prefetch_hits);
    }
    return h.value;
  }

  static void sync_gauges(Shard& sh) {
    sh.stats.bytes.store(sh.resident.bytes(), std::memory_order_relaxed);
    sh.stats.entries.store(sh.resident.entries(), std::memory_order_relaxed);
  }

  template <class Loader>
  Ptr run_loader(Loader& load) {
    using R = std::invoke_result_t<Loader&>;
    if constexpr (std::is_convertible_v<R, Ptr>) {
      Ptr p = load();
      if (!p) fail(Errc::internal, "block cache: a loader returned no value");
      return p;
    } else {
      return std::make_shared<const Value>(load());
    }
  }

  // The single-flight core; a prefetch neither counts as a hit or miss nor waits for someone else's load.
  template <class Loader>
  Ptr fetch(const Key& key, Loader& load, bool prefetch) {
    Shard& sh = shard(key);
    std::shared_ptr<Flight> flight;
    bool owner = false;
    {
      std::lock_guard lock(sh.mu);
      if (prefetch) {
        if (sh.resident.contains(key) || sh.inflight.count(key)) return nullptr;
      } else if (Ptr v = hit_locked(sh, key)) {
        return v;
      }
      auto it = sh.inflight.find(key);
      if (it != sh.inflight.end()) {
        flight = it->second;
      } else {
        flight = std::make_shared<Flight>();
        sh.inflight.emplace(key, flight);
        owner = true;
      }
      if (!prefetch) {
        CacheStats::add(sh.stats.misses);
        if (!owner) CacheStats::add(sh.stats.joined);
      }
    }
    if (!owner) return flight->wait();

    Ptr value;
    size_t bytes = 0;
    std::exception_ptr error;
    auto t0 = std::chrono::steady_clock::now();
    try {
      value = run_loader(load);
      bytes = size_(*value);
    } catch (...) {
      error = std::current_exception();
      value = nullptr;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard lock(sh.mu);
      sh.inflight.erase(key);
      CacheStats::add(sh.stats.loads);
      CacheStats::add(sh.stats.load_ns, uint64_t(ns));
      if (error) {
        CacheStats::add(sh.stats.load_failures);
      } else {
        CacheStats::add(sh.stats.evictions, sh.resident.insert(key, value, bytes, prefetch));
        sync_gauges(sh);
      }
    }
    flight->complete(value, error);
    if (error) std::rethrow_exception(error);
    return value;
  }

  CacheOptions opts_;
  SizeFn size_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::unique_ptr<WorkerPool> pool_;  // last member: its workers stop before anything they touch goes
};

}  // namespace srsfs::cache
