// du of a compressed scan shows the saving: st_blocks of a compressed file is its share of what the store
// holds for its scan (size x stored/raw), not its raw size, as ZFS and btrfs report compressed files.
#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

using DiskUsage = E2eTest;

TEST_F(DiskUsage, CompressedFramesReportTheirStoredShare) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan1", small_scan(128, 8));
  write_file(mnt / "scan1/.complete", "");
  ASSERT_EQ(wait_done(mnt / "scan1"), "compressed") << d->log();

  auto rec = open_store_ro(store)->find_scan("scan1");
  ASSERT_TRUE(rec.has_value());
  ASSERT_GT(rec->raw_bytes, rec->stored_bytes);
  const double share = double(rec->stored_bytes) / double(rec->raw_bytes);

  // Both paths that build a compressed file's stat: lookup (stat) and the listing (readdirplus).
  std::vector<std::string> names;
  for (const auto& e : stdfs::directory_iterator(mnt / "scan1")) names.push_back(e.path().filename().string());
  ASSERT_FALSE(names.empty());
  bool saw_frame = false;
  for (const auto& name : names) {
    struct stat st {};
    ASSERT_EQ(::stat((mnt / "scan1" / name).c_str(), &st), 0) << name;
    if (!name.starts_with("frame_")) continue;
    saw_frame = true;
    EXPECT_GT(st.st_blocks, 0) << name;
    EXPECT_LT(off_t(st.st_blocks) * 512, st.st_size) << name << ": du would show no saving";
    // ceil(size x share / 512)
    EXPECT_NEAR(double(st.st_blocks), double(st.st_size) * share / 512.0, 1.0) << name;
  }
  EXPECT_TRUE(saw_frame);

  // And du itself agrees: the scan takes less than its raw size.
  std::string out;
  ASSERT_EQ(run_command("du -s --block-size=1 '" + (mnt / "scan1").string() + "'", &out), 0) << out;
  EXPECT_LT(std::stoull(out), rec->raw_bytes) << out;
}

}  // namespace
}  // namespace srsfs::fs::e2e
