// Block cache: get throughput at 1, 2 and 8 threads, and S3-FIFO vs LRU hit rates on two access patterns.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cache/block_cache.h"

namespace {

using srsfs::cache::BlockCache;
using srsfs::cache::CacheOptions;
using srsfs::cache::EvictionPolicy;
using Block = std::vector<uint8_t>;
using Cache = BlockCache<uint64_t, Block>;

constexpr size_t kBlockBytes = 4096;

Cache& shared_cache(EvictionPolicy p) {
  auto make = [](EvictionPolicy policy) {
    CacheOptions o;
    o.capacity_bytes = 8192 * kBlockBytes;  // 8192 blocks
    o.shards = 16;
    o.policy = policy;
    o.prefetch_threads = 0;
    return o;
  };
  static Cache s3(make(EvictionPolicy::s3fifo)), lru(make(EvictionPolicy::lru));
  return p == EvictionPolicy::s3fifo ? s3 : lru;
}

// Uniform keys over 10,000 blocks in a cache of 8,192: mostly hits, some misses (loads + evictions).
void BM_CacheGetOrLoad(benchmark::State& state) {
  Cache& cache = shared_cache(EvictionPolicy(state.range(0)));
  uint64_t x = 0x9E3779B97F4A7C15ull * uint64_t(state.thread_index() + 1);
  for (auto _ : state) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t key = x % 10000;
    auto v = cache.get_or_load(key, [] { return Block(kBlockBytes); });
    benchmark::DoNotOptimize(v.get());
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) state.counters["hit_rate"] = cache.stats().hit_rate();
}
BENCHMARK(BM_CacheGetOrLoad)->ArgName("lru")->Arg(0)->Arg(1)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

// Zipf(s) over n keys via an inverse-CDF table.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) cdf_[i] = sum += 1.0 / std::pow(double(i + 1), s);
    for (double& c : cdf_) c /= sum;
  }
  template <class Rng>
  uint64_t operator()(Rng& rng) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return uint64_t(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

double replay(EvictionPolicy p, const std::vector<uint64_t>& trace, size_t capacity_blocks) {
  CacheOptions o;
  o.capacity_bytes = capacity_blocks * kBlockBytes;
  o.shards = 4;
  o.policy = p;
  o.prefetch_threads = 0;
  Cache cache(o);
  for (uint64_t k : trace) cache.get_or_load(k, [] { return Block(kBlockBytes); });
  return cache.stats().hit_rate();
}

// (i) Tomography reading: sequential passes over a 20,000-block scan interleaved with re-reads of 600 "hot"
// blocks (e.g. a few frames viewed repeatedly); cache of 2,000 blocks.
std::vector<uint64_t> scan_hot_trace() {
  std::mt19937_64 rng(1);
  std::vector<uint64_t> t;
  uint64_t seq = 0;
  for (int i = 0; i < 200000; ++i) {
    if (i % 3 == 0) {
      t.push_back(1'000'000 + rng() % 600);
    } else {
      t.push_back(seq);
      seq = (seq + 1) % 20000;
    }
  }
  return t;
}

// (ii) Zipf(0.9) over 100,000 blocks; cache of 2,000 blocks.
std::vector<uint64_t> zipf_trace() {
  std::mt19937_64 rng(2);
  Zipf z(100000, 0.9);
  std::vector<uint64_t> t(200000);
  for (auto& k : t) k = z(rng);
  return t;
}

void BM_HitRate(benchmark::State& state) {
  static const std::vector<uint64_t> traces[2] = {scan_hot_trace(), zipf_trace()};
  const auto& trace = traces[state.range(0)];
  double s3 = 0, lru = 0;
  for (auto _ : state) {
    s3 = replay(EvictionPolicy::s3fifo, trace, 2000);
    lru = replay(EvictionPolicy::lru, trace, 2000);
  }
  state.counters["s3fifo_hit"] = s3;
  state.counters["lru_hit"] = lru;
  state.SetLabel(state.range(0) == 0 ? "sequential+hot" : "zipf0.9");
}
BENCHMARK(BM_HitRate)->ArgName("trace")->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
