#include "cache/cache_stats.h"

namespace srsfs::cache {

CacheStatsSnapshot& CacheStatsSnapshot::operator+=(const CacheStatsSnapshot& o) {
  hits += o.hits;
  misses += o.misses;
  joined += o.joined;
  evictions += o.evictions;
  bytes += o.bytes;
  entries += o.entries;
  loads += o.loads;
  load_failures += o.load_failures;
  load_ns += o.load_ns;
  prefetches += o.prefetches;
  prefetch_dropped += o.prefetch_dropped;
  prefetch_hits += o.prefetch_hits;
  return *this;
}

CacheStatsSnapshot CacheStats::snapshot() const {
  auto r = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  CacheStatsSnapshot s;
  s.hits = r(hits);
  s.misses = r(misses);
  s.joined = r(joined);
  s.evictions = r(evictions);
  s.bytes = r(bytes);
  s.entries = r(entries);
  s.loads = r(loads);
  s.load_failures = r(load_failures);
  s.load_ns = r(load_ns);
  s.prefetches = r(prefetches);
  s.prefetch_dropped = r(prefetch_dropped);
  s.prefetch_hits = r(prefetch_hits);
  return s;
}

}  // namespace srsfs::cache
