// A full disk under the store: the failing write reports Errc::no_space, nothing is half-written, and the store
// stays usable. Needs root to mount a small tmpfs; skipped otherwise.
#include <sys/mount.h>

#include <gtest/gtest.h>

#include "fs/store.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {

using test::block_bytes;
using test::write_scan;

class SmallTmpfs {
 public:
  explicit SmallTmpfs(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=8m") == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
};

TEST(StoreSpace, FullDiskIsNoSpaceAndStoreStaysUsable) {
  srsfs::test::TempDir tmp;
  SmallTmpfs fs(tmp / "mnt");
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs (needs root)";
  const auto dir = tmp / "mnt" / "store";
  StoreOptions opts;
  opts.write_batch_bytes = 256 << 10;
  auto store = Store::open(dir, opts);
  ScanRecord a = write_scan(*store, "a", 4, 256 << 10, 2);  // 1 MiB that must survive

  Errc code = Errc::internal;
  std::string what;
  {
    ScanWriter w = store->begin_scan("big", 0, {});
    try {
      for (uint32_t i = 0; i < 64; ++i) w.put_block(i, block_bytes("big", i, 256 << 10));  // 16 MiB > 8 MiB disk
      w.commit({test::file_record("big/x")}, 1);
    } catch (const Error& e) {
      code = e.code();
      what = e.what();
    }
  }  // the writer's destructor removes what it had written
  EXPECT_EQ(code, Errc::no_space) << what;
  EXPECT_NE(what.find("full"), std::string::npos) << what;
  EXPECT_FALSE(store->find_scan("big"));

  // Still usable in this process: reads, and a small write now that the big scan's blocks are gone.
  EXPECT_EQ(store->get_block(a.id, 3), block_bytes("a", 3, 256 << 10));
  ScanRecord b = write_scan(*store, "b", 2, 1000, 1);
  EXPECT_EQ(store->get_block(b.id, 1), block_bytes("b", 1, 1000));

  // And after a reopen.
  store.reset();
  store = Store::open(dir, opts);
  EXPECT_EQ(store->list_scans().size(), 2u);
  EXPECT_EQ(store->get_block(a.id, 0), block_bytes("a", 0, 256 << 10));
  auto report = store->check();
  EXPECT_TRUE(report.ok()) << report.problems.front();
  EXPECT_TRUE(report.notes.empty());
}

}  // namespace
}  // namespace srsfs::fs
