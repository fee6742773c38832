// Readers in threads while a writer commits scans and the map grows under them.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "fs/store.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {

using test::block_bytes;

TEST(StoreConcurrency, ReadersSeeWholeScansWhileWriterCommits) {
  srsfs::test::TempDir tmp;
  StoreOptions opts;
  opts.initial_map_bytes = 1 << 20;  // forces several resizes while readers run
  opts.write_batch_bytes = 64 << 10;
  auto store = Store::open(tmp.path(), opts);
  constexpr int kScans = 40;
  constexpr uint32_t kBlocks = 6, kFiles = 4;
  constexpr size_t kSize = 48 << 10;
  std::atomic<bool> writer_done{false};
  std::atomic<uint64_t> verified{0};

  std::thread writer([&] {
    for (int s = 0; s < kScans; ++s) test::write_scan(*store, "scan" + std::to_string(s), kBlocks, kSize, kFiles);
    writer_done = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 4; ++r) {
    readers.emplace_back([&, r] {
      while (!writer_done) {
        for (const ScanRecord& s : store->list_scans()) {
          // A visible scan is whole: all files listed, every block present and intact.
          auto files = store->list_dir(s.path);
          EXPECT_EQ(files.size(), kFiles);
          for (const auto& f : files) EXPECT_EQ(store->get_file(f.path)->scan_id, s.id);
          uint32_t i = uint32_t(r) % kBlocks;
          EXPECT_EQ(store->get_block(s.id, i), block_bytes(s.path, i, kSize));
          verified.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_GT(verified.load(), 0u);
  EXPECT_EQ(store->list_scans().size(), size_t(kScans));
  EXPECT_GT(store->map_bytes(), uint64_t(1) << 20);
  EXPECT_TRUE(store->check().ok());
}

}  // namespace
}  // namespace srsfs::fs
