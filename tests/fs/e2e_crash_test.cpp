// kill -9 of the daemon in the middle of compressing a scan loses nothing. SRSFS_TEST_PAUSE_AT (fs/compressor.h)
// stops the compressor at a chosen point so the kill lands there: after encoding the spool archive, after
// storing the blocks but before the commit, and in the middle of releasing raw files. After a remount every
// file reads back byte-identical (raw or compressed) and the scan completes (Compressor::resume).
#include <sys/xattr.h>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

struct CrashCase {
  const char* point;  // SRSFS_TEST_PAUSE_AT
  bool marker;        // completed by the marker (else by user.srsfs.compress: resumed from the persisted queue)
};

class Crash : public E2eTest, public ::testing::WithParamInterface<CrashCase> {};

TEST_P(Crash, KillNineLosesNothingAndTheScanCompletesAfterRemount) {
  const CrashCase c = GetParam();
  const stdfs::path paused = tmp / "paused";
  const stdfs::path scan = mnt / "scan";
  TreeView before;
  {
    auto d = mount({}, {std::string("SRSFS_TEST_PAUSE_AT=") + c.point, "SRSFS_TEST_PAUSE_FILE=" + paused.string()});
    ASSERT_TRUE(d->ok());
    codec::write_synth_scan(scan, small_scan(96, 12, 11));
    if (c.marker) {
      write_file(scan / ".complete", "");
    } else {
      ASSERT_EQ(::setxattr(scan.c_str(), kXattrCompress, "1", 1, 0), 0);
    }
    before = snapshot(scan);
    ASSERT_TRUE(poll_until([&] { return stdfs::exists(paused); }, 60s)) << "never paused at " << c.point << d->log();
    if (std::string(c.point) == "release") {
      // Half released: some names are compressed, some still raw; all read back right.
      EXPECT_LT(raw_files(source / "scan").size(), before.size());
      EXPECT_FALSE(raw_files(source / "scan").empty());
      expect_same(before, snapshot(scan), "in the middle of the release");
    } else {
      EXPECT_EQ(raw_files(source / "scan").size(), before.size());
    }
    d->kill9();
    EXPECT_FALSE(is_mounted(mnt));
  }
  // Nothing was lost while no daemon ran: the raw files and the committed store are all there is.
  auto d = mount();
  ASSERT_TRUE(d->ok());
  expect_same(before, snapshot(scan), "right after the remount");
  ASSERT_EQ(wait_done(scan), "compressed") << d->log();
  expect_same(before, snapshot(scan), "compressed after the remount");
  EXPECT_EQ(raw_files(source / "scan"), std::vector<std::string>{});
  EXPECT_TRUE(stdfs::is_empty(store / "spool"));
  EXPECT_TRUE(stdfs::is_empty(store / "queue"));
  ASSERT_EQ(d->stop(), 0) << d->log();
  auto s = open_store_ro(store);
  EXPECT_TRUE(s->check().ok());
  EXPECT_EQ(s->list_scans().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Points, Crash,
                         ::testing::Values(CrashCase{"encode", true}, CrashCase{"commit", true},
                                           CrashCase{"release", true}, CrashCase{"encode", false}),
                         [](const auto& info) {
                           return std::string(info.param.point) + (info.param.marker ? "_marker" : "_request");
                         });

}  // namespace
}  // namespace srsfs::fs::e2e
