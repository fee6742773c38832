// srsfs-admin compress and status against a real mount.
#include <nlohmann/json.hpp>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

class Admin : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    if (IsSkipped()) return;
    if (!stdfs::exists(admin_binary())) GTEST_SKIP() << "build the srsfs-admin target first: " << admin_binary();
  }
  std::string admin(const std::string& args) { return "'" + admin_binary().string() + "' " + args; }
};

TEST_F(Admin, CompressWaitsAndStatusReports) {
  auto d = mount({"-o", "complete_marker="});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(96, 12, 4));
  codec::write_synth_scan(mnt / "other", small_scan(64, 4, 5));  // stays raw
  TreeView before = snapshot(mnt / "scan");
  std::string out;
  ASSERT_EQ(run_command(admin("compress --wait --timeout 90 '" + (mnt / "scan").string() + "'"), &out), 0)
      << out << d->log();
  EXPECT_NE(out.find("compressed"), std::string::npos) << out;
  EXPECT_EQ(raw_files(source / "scan"), std::vector<std::string>{});
  expect_same(before, snapshot(mnt / "scan"), "compressed by srsfs-admin");
  // A second request for a compressed scan succeeds at once.
  EXPECT_EQ(run_command(admin("compress --wait '" + (mnt / "scan").string() + "'"), &out), 0) << out;

  ASSERT_EQ(run_command(admin("status --json '" + mnt.string() + "'"), &out), 0) << out;
  auto doc = nlohmann::json::parse(out);
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["queue_length"], 0);
  bool found = false;
  for (const auto& s : doc["scans"]) {
    if (s["path"] != "scan") continue;
    found = true;
    EXPECT_EQ(s["state"], "compressed");
    EXPECT_GT(s["raw_bytes"].get<uint64_t>(), s["stored_bytes"].get<uint64_t>());
    EXPECT_GT(s["ratio"].get<double>(), 0.0);
    EXPECT_LT(s["ratio"].get<double>(), 1.0);
  }
  EXPECT_TRUE(found) << out;
  EXPECT_EQ(doc["totals"]["compressed_scans"], 1);
  const auto& c = doc["cache"];
  for (const char* k : {"hits", "misses", "hit_rate", "bytes", "evictions", "decode_seconds", "capacity_bytes"})
    EXPECT_TRUE(c.contains(k)) << k;
  EXPECT_GT(c["misses"].get<uint64_t>(), 0u);  // the snapshot above read every frame
  EXPECT_GT(c["decode_seconds"].get<double>(), 0.0);

  ASSERT_EQ(run_command(admin("status '" + mnt.string() + "'"), &out), 0) << out;
  for (const char* word : {"compressed", "scan", "hit rate", "queue"}) EXPECT_NE(out.find(word), std::string::npos) << out;
  ASSERT_EQ(d->stop(), 0);
}

TEST_F(Admin, FailuresAndWrongPaths) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  // A directory that holds a compressed scan is not a scan itself: the request fails, nothing changes.
  stdfs::create_directories(mnt / "bad/inner");
  write_file(mnt / "bad/a.dat", "a");
  write_file(mnt / "bad/inner/b.dat", "b");
  std::string out;
  ASSERT_EQ(run_command(admin("compress --wait --timeout 60 '" + (mnt / "bad/inner").string() + "'"), &out), 0) << out;
  EXPECT_EQ(run_command(admin("compress --wait --timeout 60 '" + (mnt / "bad").string() + "'"), &out), 1) << out;
  EXPECT_NE(out.find("failed"), std::string::npos) << out;
  EXPECT_EQ(read_file(source / "bad/a.dat"), "a");
  EXPECT_EQ(read_file(mnt / "bad/a.dat"), "a");
  // Not an srsfs mount.
  stdfs::create_directories(tmp / "plain");
  EXPECT_EQ(run_command(admin("compress '" + (tmp / "plain").string() + "'"), &out), 1) << out;
  EXPECT_NE(out.find("not a directory on an srsfs mount"), std::string::npos) << out;
  EXPECT_EQ(run_command(admin("status '" + (tmp / "plain").string() + "'"), &out), 1) << out;
  EXPECT_NE(out.find("not the root of an srsfs mount"), std::string::npos) << out;
  // The status is served on the root only.
  EXPECT_EQ(run_command(admin("status '" + (mnt / "bad").string() + "'"), &out), 1) << out;
}

TEST_F(Admin, WaitTimesOutWithExitCodeTwo) {
  auto d = mount({}, {"SRSFS_TEST_PAUSE_AT=encode", "SRSFS_TEST_PAUSE_S=30"});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "slow", small_scan(64, 4, 6));
  std::string out;
  EXPECT_EQ(run_command(admin("compress --wait --timeout 1 '" + (mnt / "slow").string() + "'"), &out), 2) << out;
  EXPECT_NE(out.find("still compressing"), std::string::npos) << out;
  ASSERT_EQ(run_command(admin("status --json '" + mnt.string() + "'"), &out), 0) << out;
  auto doc = nlohmann::json::parse(out);
  ASSERT_EQ(doc["scans"].size(), 1u) << out;
  EXPECT_EQ(doc["scans"][0]["state"], "compressing");
  EXPECT_EQ(doc["compressing"], 1);
  d->kill9();  // no need to wait out the pause
}

}  // namespace
}  // namespace srsfs::fs::e2e
