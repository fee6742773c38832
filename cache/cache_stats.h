// Block cache counters: atomics updated by any thread, read as a consistent-enough snapshot.
#pragma once
#include <atomic>
#include <cstdint>

namespace srsfs::cache {

struct CacheStatsSnapshot {
  uint64_t hits = 0;             // get found the block resident
  uint64_t misses = 0;           // get did not (it loaded, or waited for a load already running)
  uint64_t joined = 0;           // misses that waited for another thread's load instead of loading
  uint64_t evictions = 0;
  uint64_t bytes = 0;            // resident bytes now
  uint64_t entries = 0;          // resident blocks now
  uint64_t loads = 0;            // loader runs (gets and prefetches)
  uint64_t load_failures = 0;    // loader runs that threw
  uint64_t load_ns = 0;          // time spent in loaders
  uint64_t prefetches = 0;       // prefetch requests queued
  uint64_t prefetch_dropped = 0; // not queued: queue full or no workers
  uint64_t prefetch_hits = 0;    // first hits on blocks a prefetch brought in
  double hit_rate() const { return hits + misses ? double(hits) / double(hits + misses) : 0.0; }
  CacheStatsSnapshot& operator+=(const CacheStatsSnapshot& o);
};

struct CacheStats {
  std::atomic<uint64_t> hits{0}, misses{0}, joined{0}, evictions{0}, bytes{0}, entries{0}, loads{0},
      load_failures{0}, load_ns{0}, prefetches{0}, prefetch_dropped{0}, prefetch_hits{0};

  static void add(std::atomic<uint64_t>& c, uint64_t n = 1) { c.fetch_add(n, std::memory_order_relaxed); }
  static void sub(std::atomic<uint64_t>& c, uint64_t n) { c.fetch_sub(n, std::memory_order_relaxed); }
  CacheStatsSnapshot snapshot() const;
};

}  // namespace srsfs::cache
