// The built mount.srsfs as users run it: a child process, unmounted with fusermount3 -u or stopped by
// SIGTERM; and its option errors and help.
#include <signal.h>
#include <sys/wait.h>

#include "fs/child_process.h"
#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

using namespace std::chrono_literals;

stdfs::path binary() { return srsfs::test::bin_dir() / "mount.srsfs"; }

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

pid_t spawn(const std::vector<std::string>& args) { return spawn_process(args, current_environment()); }

class BinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SRSFS_REQUIRE_FUSE();
    if (!stdfs::exists(binary())) GTEST_SKIP() << "build the mount.srsfs target first: " << binary();
    source = tmp / "source";
    mnt = tmp / "mnt";
    stdfs::create_directories(source / "scan");
    stdfs::create_directories(mnt);
    write_file(source / "scan/frame.tif", "frame");
  }
  void TearDown() override {
    if (!mnt.empty() && is_mounted(mnt)) std::system(("fusermount3 -uz '" + mnt.string() + "'").c_str());
    if (child > 0) wait_exit(child, 5s);
  }
  TempDir tmp;
  stdfs::path source, mnt;
  pid_t child = -1;
};

TEST_F(BinaryTest, ForegroundMountServesAndUnmountsCleanly) {
  child = spawn({binary().string(), source.string(), mnt.string(), "-f", "-o", "complete_idle=0,workers=2"});
  ASSERT_GT(child, 0);
  ASSERT_TRUE(wait_until([&] { return is_mounted(mnt); }, 10s)) << "mount did not appear";
  EXPECT_EQ(read_file(mnt / "scan/frame.tif"), "frame");
  write_file(mnt / "scan/new.tif", "new");
  EXPECT_EQ(read_file(source / "scan/new.tif"), "new");
  EXPECT_TRUE(stdfs::is_directory(source / ".srsfs"));  // the default store is created ...
  EXPECT_FALSE(stdfs::exists(mnt / ".srsfs"));          // ... and hidden
  ASSERT_EQ(std::system(("fusermount3 -u '" + mnt.string() + "'").c_str()), 0);
  EXPECT_EQ(wait_exit(child, 10s), 0);
  child = -1;
  EXPECT_FALSE(is_mounted(mnt));
}

TEST_F(BinaryTest, SigtermUnmountsAndExitsZero) {
  child = spawn({binary().string(), source.string(), mnt.string(), "-f"});
  ASSERT_GT(child, 0);
  ASSERT_TRUE(wait_until([&] { return is_mounted(mnt); }, 10s));
  EXPECT_TRUE(stdfs::exists(mnt / "scan/frame.tif"));
  ::kill(child, SIGTERM);
  EXPECT_EQ(wait_exit(child, 10s), 0);
  child = -1;
  EXPECT_FALSE(is_mounted(mnt));
}

TEST_F(BinaryTest, DaemonModeReturnsOnceMountedUnderTheHelperName) {
  // mount.fuse3 runs "srsfs SOURCE MOUNTPOINT -o opts": the same binary under its link name.
  stdfs::path link = tmp / "srsfs";
  stdfs::create_symlink(binary(), link);
  pid_t p = spawn({link.string(), source.string(), mnt.string(), "-o",
                   "rw,nosuid,nodev,store=" + (tmp / "store").string() + ",complete_marker=DONE"});
  ASSERT_GT(p, 0);
  EXPECT_EQ(wait_exit(p, 10s), 0);
  ASSERT_TRUE(is_mounted(mnt)) << "the parent returned before the mount existed";
  EXPECT_EQ(read_file(mnt / "scan/frame.tif"), "frame");
  EXPECT_TRUE(stdfs::is_directory(tmp / "store"));
  ASSERT_EQ(std::system(("fusermount3 -u '" + mnt.string() + "'").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return !is_mounted(mnt); }, 5s));
}

TEST_F(BinaryTest, HelpAndBadOptions) {
  std::string out = (tmp / "out.txt").string();
  std::string b = binary().string();
  ASSERT_EQ(std::system((b + " --help > " + out + " 2>&1").c_str()), 0);
  std::string help = read_file(out);
  for (const char* word : {"store=DIR", "cache_size=BYTES", "workers=N", "complete_idle=SEC", "complete_marker=NAME",
                           "user.srsfs.compress", "EROFS", "allow_other"})
    EXPECT_NE(help.find(word), std::string::npos) << word;
  int rc = std::system((b + " " + source.string() + " " + mnt.string() + " -f -o cache_size=12Q > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(read_file(out).find("cache_size"), std::string::npos) << read_file(out);
  rc = std::system((b + " " + (tmp / "missing").string() + " " + mnt.string() + " -f > " + out + " 2>&1").c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(read_file(out).find("missing"), std::string::npos) << read_file(out);
  EXPECT_FALSE(is_mounted(mnt));
}

}  // namespace
}  // namespace srsfs::fs::test
