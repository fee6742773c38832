// Trust through the built mount.srsfs: a write acknowledged on a frame held open across its compression is
// never lost; a mount that cannot start says so and exits non-zero; an unmount stops a compression at once
// (and the next start resumes it); a scan renamed during its release is still released.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

using Trust = E2eTest;
using Clock = std::chrono::steady_clock;

std::string admin(const std::string& args) { return admin_binary().string() + " " + args; }

std::string quoted(const stdfs::path& p) { return "'" + p.string() + "'"; }

// Requests compression of dir and waits for it to finish (srsfs-admin compress --wait).
void compress_and_wait(const stdfs::path& dir) {
  std::string out;
  ASSERT_EQ(run_command(admin("compress --wait --timeout 120 " + quoted(dir)), &out), 0) << out;
}

TEST_F(Trust, AWriteOnAFrameHeldOpenAcrossItsCompressionIsKept) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(64, 8, 3));
  const std::string frame = "scan/frame_00003.tif";
  const std::string original = read_file(mnt / frame);
  // A detector keeps the frame open for writing across a pause; the scan is compressed meanwhile.
  const int fd = ::open((mnt / frame).c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  compress_and_wait(mnt / "scan");
  EXPECT_TRUE(stdfs::exists(source / frame)) << "a frame open for writing was released";
  EXPECT_FALSE(stdfs::exists(source / "scan/frame_00002.tif")) << "the other frames are released";

  const std::string patch = "nineteen bytes here";
  ASSERT_EQ(::pwrite(fd, patch.data(), patch.size(), 100), ssize_t(patch.size())) << std::strerror(errno);
  ASSERT_EQ(::fsync(fd), 0) << std::strerror(errno);
  ASSERT_EQ(::close(fd), 0) << std::strerror(errno);

  std::string want = original;
  want.replace(100, patch.size(), patch);
  EXPECT_TRUE(read_file(mnt / frame) == want) << "the acknowledged write is lost";
  // Changed after its commit: it stays raw for good (its stored copy is the old bytes).
  ASSERT_EQ(d->stop(), 0) << d->log();
  d = mount();
  ASSERT_TRUE(d->ok());
  EXPECT_TRUE(read_file(mnt / frame) == want) << "after remount";
  EXPECT_TRUE(stdfs::exists(source / frame));
}

TEST_F(Trust, AFrameHeldOpenUnchangedIsReleasedWhenClosed) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(64, 8, 4));
  const std::string frame = "scan/frame_00005.tif";
  const std::string original = read_file(mnt / frame);
  const int fd = ::open((mnt / frame).c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  compress_and_wait(mnt / "scan");
  EXPECT_TRUE(stdfs::exists(source / frame));
  ASSERT_EQ(::close(fd), 0);
  EXPECT_TRUE(poll_until([&] { return !stdfs::exists(source / frame); }, 30s))
      << "the frame was not released after its writer closed\n" << d->log();
  EXPECT_TRUE(read_file(mnt / frame) == original);
}

// Exit status and output of `mount.srsfs SOURCE MNT -o ...` without -f (it daemonises).
int mount_daemon(const stdfs::path& src, const stdfs::path& at, const std::string& opts, std::string* out) {
  std::string cmd = mount_binary().string() + " " + quoted(src) + " " + quoted(at);
  if (!opts.empty()) cmd += " -o " + opts;
  return run_command(cmd, out);
}

TEST_F(Trust, AMountThatCannotStartSaysSoAndExitsNonZero) {
  std::string out;
  // SOURCE missing.
  EXPECT_NE(mount_daemon(tmp / "nowhere", mnt, "", &out), 0) << out;
  EXPECT_NE(out.find("nowhere"), std::string::npos) << out;
  EXPECT_FALSE(is_mounted(mnt));
  // A bad option.
  EXPECT_NE(mount_daemon(source, mnt, "cache_size=lots", &out), 0) << out;
  EXPECT_FALSE(is_mounted(mnt));
  // The store held by another daemon that is still running: refused after the wait, with a message.
  auto first = mount();
  ASSERT_TRUE(first->ok());
  stdfs::create_directories(tmp / "mnt2");
  const auto t0 = Clock::now();
  EXPECT_NE(mount_daemon(source, tmp / "mnt2", "store=" + store.string() + ",lock_wait=1", &out), 0) << out;
  EXPECT_GE(Clock::now() - t0, 900ms) << "it did not wait for the store";
  EXPECT_NE(out.find(store.string()), std::string::npos) << out;
  EXPECT_FALSE(is_mounted(tmp / "mnt2")) << "a mount was left behind";
  ASSERT_EQ(first->stop(), 0);

  // And one that can: the mount exists when the command returns.
  ASSERT_EQ(mount_daemon(source, mnt, "", &out), 0) << out;
  EXPECT_TRUE(is_mounted(mnt));
  write_file(mnt / "hello.txt", "hello");
  EXPECT_EQ(read_file(source / "hello.txt"), "hello");
  ASSERT_EQ(::umount2(mnt.c_str(), 0), 0) << std::strerror(errno);
  // The daemon lets go of its store when it exits.
  EXPECT_TRUE(poll_until(
      [&] {
        try {
          StoreOptions o;
          Store::open(store, o);
          return true;
        } catch (const Error&) {
          return false;
        }
      },
      20s, 100ms));
}

TEST_F(Trust, UnmountDuringCompressionStopsAtOnceAndTheNextMountResumes) {
  const stdfs::path paused = tmp / "paused";
  auto d = mount({}, {"SRSFS_TEST_PAUSE_AT=encode_file", "SRSFS_TEST_PAUSE_FILE=" + paused.string()});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(64, 8, 5));
  TreeView before = snapshot(mnt / "scan");
  ASSERT_EQ(::setxattr((mnt / "scan").c_str(), kXattrCompress, "1", 1, 0), 0) << std::strerror(errno);
  ASSERT_TRUE(poll_until([&] { return stdfs::exists(paused); }, 60s)) << d->log();

  const auto t0 = Clock::now();
  EXPECT_EQ(d->stop(), 0) << d->log();
  EXPECT_LT(Clock::now() - t0, 3s) << "the daemon outlived its unmount\n" << d->log();
  {
    auto s = open_store_ro(store);
    EXPECT_FALSE(s->find_scan("scan").has_value()) << "the interrupted scan was committed anyway";
  }
  EXPECT_EQ(raw_files(source / "scan").size(), before.size()) << "raw files were released";
  EXPECT_FALSE(stdfs::is_empty(store / "queue")) << "the interrupted scan is not queued for the next start";

  d = mount();
  ASSERT_TRUE(d->ok());
  EXPECT_EQ(wait_done(mnt / "scan"), "compressed") << d->log();
  EXPECT_TRUE(poll_until([&] { return raw_files(source / "scan").empty(); }, 30s)) << d->log();
  expect_same(before, snapshot(mnt / "scan"), "resumed");
}

TEST_F(Trust, AScanRenamedDuringItsReleaseIsStillReleased) {
  const stdfs::path paused = tmp / "paused";
  auto d = mount({}, {"SRSFS_TEST_PAUSE_AT=release", "SRSFS_TEST_PAUSE_FILE=" + paused.string(),
                      "SRSFS_TEST_PAUSE_S=2"});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(64, 8, 6));
  TreeView before = snapshot(mnt / "scan");
  ASSERT_EQ(::setxattr((mnt / "scan").c_str(), kXattrCompress, "1", 1, 0), 0);
  ASSERT_TRUE(poll_until([&] { return stdfs::exists(paused); }, 60s)) << d->log();
  ASSERT_EQ(::rename((mnt / "scan").c_str(), (mnt / "moved").c_str()), 0) << std::strerror(errno);
  EXPECT_TRUE(poll_until([&] { return raw_files(source / "moved").empty(); }, 30s))
      << "raw frames left after a rename during the release\n" << d->log();
  expect_same(before, snapshot(mnt / "moved"), "renamed");
  ASSERT_EQ(d->stop(), 0);
}

TEST_F(Trust, AReleaseInterruptedByACrashAfterARenameIsFinishedByTheNextStart) {
  const stdfs::path paused = tmp / "paused";
  auto d = mount({}, {"SRSFS_TEST_PAUSE_AT=release", "SRSFS_TEST_PAUSE_FILE=" + paused.string()});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(64, 8, 7));
  TreeView before = snapshot(mnt / "scan");
  ASSERT_EQ(::setxattr((mnt / "scan").c_str(), kXattrCompress, "1", 1, 0), 0);
  ASSERT_TRUE(poll_until([&] { return stdfs::exists(paused); }, 60s)) << d->log();
  ASSERT_EQ(::rename((mnt / "scan").c_str(), (mnt / "moved").c_str()), 0) << std::strerror(errno);
  d->kill9();
  ASSERT_FALSE(raw_files(source / "moved").empty());
  d = mount();
  ASSERT_TRUE(d->ok());
  EXPECT_TRUE(poll_until([&] { return raw_files(source / "moved").empty(); }, 30s)) << d->log();
  expect_same(before, snapshot(mnt / "moved"), "after the crash");
  // A request on the new name answers at once and releases nothing more (there is nothing left).
  compress_and_wait(mnt / "moved");
  EXPECT_EQ(get_xattr(mnt / "moved", kXattrState), "compressed");
}

// pread of exactly n bytes at off, as a string.
std::string pread_str(int fd, size_t n, off_t off) {
  std::string buf(n, '\0');
  ssize_t got = ::pread(fd, buf.data(), n, off);
  buf.resize(got < 0 ? 0 : size_t(got));
  return buf;
}

TEST_F(Trust, AnOpenCompressedFileKeepsItsBytesAfterRenameOverAndUnlink) {
  // A cache smaller than a group, so that later reads need the stored blocks again.
  auto d = mount({"-o", "cache_size=64k"});
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(128, 8, 8));
  TreeView before = snapshot(mnt / "scan");
  compress_and_wait(mnt / "scan");
  ASSERT_TRUE(raw_files(source / "scan").empty());
  const std::string& a = before.at("frame_00002.tif").bytes;
  ASSERT_GT(a.size(), 16384u);
  ASSERT_TRUE(read_file(mnt / "scan/frame_00007.tif") == before.at("frame_00007.tif").bytes) << "small cache";

  const int fa = ::open((mnt / "scan/frame_00002.tif").c_str(), O_RDONLY);
  ASSERT_GE(fa, 0) << std::strerror(errno);
  EXPECT_TRUE(pread_str(fa, 4096, 0) == a.substr(0, 4096));  // this part is now in the page cache
  // Another compressed frame of the scan renamed over it: the open descriptor still reads frame 2.
  ASSERT_EQ(::rename((mnt / "scan/frame_00005.tif").c_str(), (mnt / "scan/frame_00002.tif").c_str()), 0)
      << std::strerror(errno);
  EXPECT_TRUE(read_file(mnt / "scan/frame_00002.tif") == before.at("frame_00005.tif").bytes);
  EXPECT_TRUE(pread_str(fa, 4096, 0) == a.substr(0, 4096)) << "the page-cached part changed";
  {
    std::string got = pread_str(fa, a.size(), 0);
    size_t diff = 0;
    while (diff < std::min(got.size(), a.size()) && got[diff] == a[diff]) ++diff;
    EXPECT_TRUE(got == a) << "the unread part is not frame 2's: " << got.size() << " bytes, first difference at " << diff
                          << (got.substr(16384) == before.at("frame_00005.tif").bytes.substr(16384) ? " (it is frame 5)" : "")
                          << d->log();
  }

  // Every file of the scan unlinked (the scan leaves the store) while one frame is still open.
  const std::string& c = before.at("frame_00006.tif").bytes;
  const int fc = ::open((mnt / "scan/frame_00006.tif").c_str(), O_RDONLY);
  ASSERT_GE(fc, 0) << std::strerror(errno);
  EXPECT_TRUE(pread_str(fc, 100, 0) == c.substr(0, 100));
  for (const auto& e : stdfs::directory_iterator(mnt / "scan")) stdfs::remove(e.path());
  EXPECT_TRUE(stdfs::is_empty(mnt / "scan"));
  EXPECT_TRUE(pread_str(fa, a.size(), 0) == a) << "after unlink";
  EXPECT_TRUE(pread_str(fc, c.size(), 0) == c) << "the blocks of a deleted scan went while a file was open";
  ::close(fa);
  ::close(fc);
  // Once the last descriptor is closed, the deleted scan's blocks go.
  EXPECT_TRUE(poll_until(
      [&] {
        auto s = open_store_ro(store);
        return s->list_scans().empty() && s->check().ok() && s->check().blocks == 0;
      },
      20s, 100ms))
      << d->log();
  ASSERT_EQ(d->stop(), 0) << d->log();
}

}  // namespace
}  // namespace srsfs::fs::e2e
