// Scan lifecycle: the marker file, the idle timeout and user.srsfs.compress reach the ScanSink; state is
// read with user.srsfs.state. First through a real mount, then the ScanMonitor alone.
#include <sys/xattr.h>

#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

using namespace std::chrono_literals;

using ScanTest = FuseTest;

TEST_F(ScanTest, CompressXattrTriggersTheSink) {
  auto& f = *mfs;
  stdfs::create_directories(f.m("beam/scan_7"));
  ASSERT_EQ(::setxattr(f.m("beam/scan_7").c_str(), kXattrCompress, "1", 1, 0), 0) << std::strerror(errno);
  EXPECT_EQ(f.sink.completed(), std::vector<std::string>{"beam/scan_7"});
  // Not stored in SOURCE.
  char buf[8];
  EXPECT_LT(::getxattr(f.s("beam/scan_7").c_str(), kXattrCompress, buf, sizeof buf), 0);
  write_file(f.m("beam/scan_7/f.tif"), "x");
  EXPECT_EQ(errno_of([&] { return ::setxattr(f.m("beam/scan_7/f.tif").c_str(), kXattrCompress, "1", 1, 0); }),
            ENOTDIR);
}

TEST_F(ScanTest, StateXattrAsksTheSink) {
  auto& f = *mfs;
  stdfs::create_directories(f.m("scan_9"));
  char buf[128];
  ssize_t n = ::getxattr(f.m("scan_9").c_str(), kXattrState, buf, sizeof buf);
  ASSERT_GT(n, 0) << std::strerror(errno);
  EXPECT_EQ(std::string(buf, size_t(n)), "fake-state:scan_9");
  EXPECT_EQ(::getxattr(f.m("scan_9").c_str(), kXattrState, nullptr, 0), n);
}

TEST_F(ScanTest, MarkerFileTriggersTheSink) {
  auto& f = *mfs;
  stdfs::create_directories(f.m("scan_1"));
  write_file(f.m("scan_1/frame_0.tif"), "frame");
  EXPECT_TRUE(f.sink.completed().empty());
  write_file(f.m("scan_1/.complete"), "");
  EXPECT_EQ(f.sink.completed(), std::vector<std::string>{"scan_1"});
  EXPECT_TRUE(stdfs::exists(f.s("scan_1/.complete")));  // the marker stays beside the frames
  // Renamed into place, as writers that publish atomically do.
  stdfs::create_directories(f.m("scan_2"));
  write_file(f.m("scan_2/.complete.tmp"), "");
  ASSERT_EQ(::rename(f.m("scan_2/.complete.tmp").c_str(), f.m("scan_2/.complete").c_str()), 0);
  EXPECT_EQ(f.sink.count("scan_2"), 1u);
  // SOURCE's root is not a scan.
  write_file(f.m(".complete"), "");
  EXPECT_EQ(f.sink.count(""), 0u);
}

class IdleScanTest : public FuseTest {
  MountSpec spec() override {
    MountSpec s;
    // Long against the 50 ms between writes below, so that a stalled CI machine cannot pass for idle.
    s.monitor.idle = 1500ms;
    return s;
  }
};

TEST_F(IdleScanTest, IdleTimeoutTriggersTheSink) {
  auto& f = *mfs;
  stdfs::create_directories(f.m("scan_idle"));
  int fd = ::open(f.m("scan_idle/frame.tif").c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  // Keep writing for longer than the timeout: no completion while frames arrive.
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 2000ms) {
    ASSERT_EQ(::write(fd, "0123456789", 10), 10);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(f.sink.count("scan_idle"), 0u);
  char buf[64];
  ssize_t n = ::getxattr(f.m("scan_idle").c_str(), kXattrState, buf, sizeof buf);
  EXPECT_EQ(std::string(buf, size_t(std::max<ssize_t>(n, 0))), "writing");
  ::close(fd);
  EXPECT_TRUE(f.sink.wait_for("scan_idle", 20s));
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(f.sink.count("scan_idle"), 1u);  // reported once
}

// --- the monitor alone ---

TEST(ScanMonitorTest, MarkerRequestAndRoot) {
  FakeSink sink;
  ScanMonitor m(sink, ScanMonitorConfig{"DONE", 0ms});
  m.on_create("a", "frame.tif");
  m.on_create("a", "DONE");
  m.request("b/c");
  m.on_create("", "DONE");
  EXPECT_EQ(sink.completed(), (std::vector<std::string>{"a", "b/c"}));
  EXPECT_TRUE(m.is_marker("DONE"));
  EXPECT_FALSE(m.is_marker(".complete"));
}

TEST(ScanMonitorTest, EmptyMarkerDisablesMarkers) {
  FakeSink sink;
  ScanMonitor m(sink, ScanMonitorConfig{"", 0ms});
  m.on_create("a", "");
  m.on_create("a", ".complete");
  EXPECT_TRUE(sink.completed().empty());
}

TEST(ScanMonitorTest, IdleFollowsRenamesAndForgetsRemovedDirs) {
  FakeSink sink;
  // The idle time is long against the few calls below: a stalled machine must not complete "old/scan" first.
  ScanMonitor m(sink, ScanMonitorConfig{".complete", 1000ms});
  m.on_write("old/scan");
  m.on_write("gone");
  m.on_dir_renamed("old", "new");
  m.on_dir_removed("gone");
  EXPECT_EQ(m.state("new/scan"), "writing");
  ASSERT_TRUE(sink.wait_for("new/scan", 20s));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(sink.completed(), std::vector<std::string>{"new/scan"});
  EXPECT_EQ(m.state("new/scan"), "fake-state:new/scan");
}

TEST(ScanMonitorTest, DestructorStopsTheIdleThreadPromptly) {
  FakeSink sink;
  auto start = std::chrono::steady_clock::now();
  {
    ScanMonitor m(sink, ScanMonitorConfig{".complete", 3600s});
    m.on_write("a");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(sink.completed().empty());
}

}  // namespace
}  // namespace srsfs::fs::test
