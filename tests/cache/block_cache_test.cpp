#include "cache/block_cache.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace srsfs::cache {
namespace {

using Block = std::vector<uint8_t>;
using Cache = BlockCache<uint64_t, Block>;

CacheOptions options(size_t capacity, size_t shards = 1, EvictionPolicy p = EvictionPolicy::s3fifo) {
  CacheOptions o;
  o.capacity_bytes = capacity;
  o.shards = shards;
  o.policy = p;
  return o;
}

Block block_of(uint64_t key, size_t size = 1024) { return Block(size, uint8_t(key)); }

TEST(BlockCache, HitMissAccounting) {
  Cache cache(options(1 << 20, 4));
  int loads = 0;
  auto loader = [&](uint64_t k) {
    return [&, k] {
      ++loads;
      return block_of(k);
    };
  };
  EXPECT_EQ((*cache.get_or_load(1, loader(1)))[0], 1);
  EXPECT_EQ((*cache.get_or_load(1, loader(1)))[0], 1);
  EXPECT_EQ((*cache.get_or_load(2, loader(2)))[0], 2);
  EXPECT_FALSE(cache.get(3));
  EXPECT_TRUE(cache.get(2));
  auto s = cache.stats();
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(s.hits, 2u);
  EXPECT_EQ(s.misses, 3u);
  EXPECT_EQ(s.loads, 2u);
  EXPECT_EQ(s.entries, 2u);
  EXPECT_EQ(s.bytes, 2048u);
  EXPECT_GE(s.load_ns, 0u);
  EXPECT_TRUE(cache.erase(1));
  EXPECT_EQ(cache.stats().entries, 1u);
}

TEST(BlockCache, ByteBoundRespectedForBothPolicies) {
  for (auto policy : {EvictionPolicy::s3fifo, EvictionPolicy::lru}) {
    Cache cache(options(64 * 1024, 4, policy));
    for (uint64_t k = 0; k < 1000; ++k) {
      cache.get_or_load(k, [&] { return block_of(k, 500 + k % 1500); });
      ASSERT_LE(cache.stats().bytes, 64u * 1024);
    }
    auto s = cache.stats();
    EXPECT_GT(s.evictions, 900u);
    EXPECT_GT(s.entries, 10u);
    // Too big for a shard: returned, not kept.
    auto huge = cache.get_or_load(5000, [] { return Block(1 << 20); });
    EXPECT_EQ(huge->size(), size_t(1) << 20);
    EXPECT_LE(cache.stats().bytes, 64u * 1024);
  }
}

// Hot frames revisited every ~120 distinct blocks in a cache of 100: LRU always evicts them first; S3-FIFO
// lets the streaming blocks pass through its small FIFO and keeps the hot set in main.
double hot_scan_hit_rate(EvictionPolicy policy) {
  Cache cache(options(100 * 1024, 1, policy));
  uint64_t scan = 1000;
  for (int round = 0; round < 20000; ++round) {
    uint64_t hot = uint64_t(round % 40);
    cache.get_or_load(hot, [&] { return block_of(hot); });
    for (int i = 0; i < 2; ++i, ++scan) cache.get_or_load(scan, [&] { return block_of(scan); });
  }
  return cache.stats().hit_rate();
}

TEST(BlockCache, S3FifoKeepsHotSetThroughSequentialScanBetterThanLru) {
  double s3 = hot_scan_hit_rate(EvictionPolicy::s3fifo), lru = hot_scan_hit_rate(EvictionPolicy::lru);
  EXPECT_GT(s3, 0.30) << "S3-FIFO " << s3 << " LRU " << lru;  // 1/3 of accesses are hot
  EXPECT_LT(lru, 0.02) << "S3-FIFO " << s3 << " LRU " << lru;
}

TEST(BlockCache, LruEvictsLeastRecentlyUsed) {
  Cache cache(options(3 * 1024, 1, EvictionPolicy::lru));
  for (uint64_t k : {1, 2, 3}) cache.get_or_load(k, [&] { return block_of(k); });
  cache.get(1);
  cache.get_or_load(4, [] { return block_of(4); });
  EXPECT_TRUE(cache.get(1));
  EXPECT_FALSE(cache.get(2));
}

TEST(BlockCache, SingleFlightRunsLoaderOnce) {
  Cache cache(options(1 << 20, 8));
  std::atomic<int> loads{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  std::vector<Cache::Ptr> got(64);
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      while (!go) std::this_thread::yield();
      got[size_t(t)] = cache.get_or_load(7, [&] {
        ++loads;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        return block_of(7);
      });
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(loads.load(), 1);
  for (const auto& p : got) EXPECT_EQ(p.get(), got[0].get());
  auto s = cache.stats();
  EXPECT_EQ(s.loads, 1u);
  EXPECT_EQ(s.hits + s.misses, 64u);
}

TEST(BlockCache, LoaderExceptionReachesEveryWaiterAndNothingIsCached) {
  Cache cache(options(1 << 20, 2));
  std::atomic<int> loads{0}, errors{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      while (!go) std::this_thread::yield();
      try {
        cache.get_or_load(9, [&]() -> Block {
          ++loads;
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
          fail(Errc::corrupt, "block 9 is damaged");
        });
      } catch (const Error& e) {
        if (e.code() == Errc::corrupt) ++errors;
      }
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 16);
  EXPECT_LE(loads.load(), 16);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().load_failures, uint64_t(loads.load()));
  // The next get tries again.
  EXPECT_EQ((*cache.get_or_load(9, [] { return block_of(9); }))[0], 9);
}

TEST(BlockCache, PrefetchMakesLaterGetAHit) {
  Cache cache(options(1 << 20, 4));
  std::atomic<int> loads{0};
  auto loader = [&] {
    ++loads;
    return block_of(42);
  };
  ASSERT_TRUE(cache.prefetch(42, loader));
  for (int i = 0; i < 2000 && cache.stats().entries == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_FALSE(cache.prefetch(42, loader));  // resident: nothing queued
  auto v = cache.get_or_load(42, loader);
  EXPECT_EQ((*v)[0], 42);
  auto s = cache.stats();
  EXPECT_EQ(loads.load(), 1);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 0u);
  EXPECT_EQ(s.prefetches, 1u);
  EXPECT_EQ(s.prefetch_hits, 1u);
}

TEST(BlockCache, PrefetchJoinsAndIsJoinedWithoutDuplicateLoads) {
  Cache cache(options(1 << 20, 4));
  std::atomic<int> loads{0};
  auto slow = [&] {
    ++loads;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return block_of(5);
  };
  for (int round = 0; round < 20; ++round) {
    cache.clear();
    int before = loads;
    cache.prefetch(uint64_t(round), slow);
    cache.get_or_load(uint64_t(round), slow);  // joins the prefetch's load or finds it done
    cache.prefetch(uint64_t(round), slow);
    EXPECT_EQ(loads - before, 1) << "round " << round;
  }
}

TEST(BlockCache, PrefetchQueueIsBoundedAndDropsWhenFull) {
  CacheOptions o = options(1 << 20, 1);
  o.prefetch_threads = 1;
  o.prefetch_queue = 2;
  Cache cache(o);
  std::atomic<bool> release{false};
  auto blocked = [&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return block_of(1);
  };
  int queued = 0;
  for (uint64_t k = 0; k < 10; ++k) queued += cache.prefetch(k, blocked);
  EXPECT_LE(queued, 3);  // one running, two queued
  EXPECT_GE(cache.stats().prefetch_dropped, 7u);
  release = true;
}

TEST(BlockCache, EvictedValueInUseStaysValid) {
  Cache cache(options(2 * 1024, 1, EvictionPolicy::lru));
  auto held = cache.get_or_load(1, [] { return block_of(1); });
  for (uint64_t k = 2; k < 10; ++k) cache.get_or_load(k, [&] { return block_of(k); });
  EXPECT_FALSE(cache.get(1));
  EXPECT_EQ(held->size(), 1024u);
  EXPECT_EQ((*held)[1023], 1);
}

TEST(BlockCache, ConcurrentMixedUseKeepsInvariants) {
  Cache cache(options(256 * 1024, 8));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      uint64_t x = uint64_t(t) * 7919 + 1;
      for (int i = 0; i < 20000; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t k = (x >> 33) % 600;
        auto v = cache.get_or_load(k, [&] { return block_of(k); });
        ASSERT_EQ((*v)[0], uint8_t(k));
        if (i % 64 == 0) cache.prefetch(k + 1, [k] { return block_of(k + 1); });
      }
    });
  }
  for (auto& t : threads) t.join();
  auto s = cache.stats();
  EXPECT_LE(s.bytes, 256u * 1024);
  EXPECT_EQ(s.hits + s.misses, 8u * 20000);
}

}  // namespace
}  // namespace srsfs::cache

namespace srsfs::cache {
namespace {

TEST(BlockCachePut, PutIfAbsentInsertsOnceAndNeverReplaces) {
  CacheOptions o;
  o.capacity_bytes = 1 << 20;
  o.shards = 2;
  o.prefetch_threads = 0;
  BlockCache<int, std::vector<uint8_t>> c(o);
  EXPECT_TRUE(c.put_if_absent(1, std::vector<uint8_t>(10, 7)));
  EXPECT_FALSE(c.put_if_absent(1, std::vector<uint8_t>(10, 9)));
  int loads = 0;
  auto v = c.get_or_load(1, [&] { ++loads; return std::vector<uint8_t>(10, 1); });
  EXPECT_EQ(loads, 0);
  EXPECT_EQ((*v)[0], 7);
}

}  // namespace
}  // namespace srsfs::cache
