// Frames larger than the decoded cache, through the real mount (issue 16): a frame is read whole with each band
// decoded once (the daemon's own decoded_bytes says so), the status warns that the cache cannot hold a group,
// and SIGTERM in the middle of cold reads stops the daemon within 3 s.
#include <sys/xattr.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

using LargeFrames = E2eTest;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kSize = 512, kFrames = 17;  // 512 KiB a frame; the cache below holds less than one

nlohmann::json status_of(const stdfs::path& mnt) {
  auto s = get_xattr(mnt, kXattrStatus);
  if (!s) return {};
  return nlohmann::json::parse(*s);
}

TEST_F(LargeFrames, AFrameLargerThanTheCacheIsReadWholeDecodingEachBandOnceAndSigtermStopsAReadAtOnce) {
  const std::vector<std::string> opts{"-o", "cache_size=384K"};
  auto d = mount(opts);
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "scan", small_scan(kSize, kFrames, 16));
  const TreeView before = snapshot(mnt / "scan");
  ASSERT_EQ(::setxattr((mnt / "scan").c_str(), kXattrCompress, "1", 1, 0), 0) << std::strerror(errno);
  ASSERT_EQ(wait_done(mnt / "scan", 300s), "compressed") << d->log();
  ASSERT_EQ(d->stop(), 0) << d->log();

  // A fresh daemon: the last frame of the group, cold, whole.
  d = mount(opts);
  ASSERT_TRUE(d->ok());
  const std::string last = "frame_00016.tif";
  EXPECT_TRUE(read_file(mnt / "scan" / last) == before.at(last).bytes) << "differs";
  nlohmann::json st = status_of(mnt);
  ASSERT_TRUE(st.contains("cache")) << st.dump();
  const uint64_t frame_px_bytes = uint64_t(kSize) * kSize * 2, once = kFrames * frame_px_bytes;
  const uint64_t decoded = st["cache"]["decoded_bytes"].get<uint64_t>();
  EXPECT_GE(decoded, once);
  EXPECT_LE(decoded, once + once / 4) << "bands were decoded again for the same read";
  EXPECT_LE(st["cache"]["bytes"].get<uint64_t>(), uint64_t(384) << 10);
  ASSERT_EQ(st["cache"]["warnings"].size(), 1u) << st.dump();
  EXPECT_NE(st["cache"]["warnings"][0].get<std::string>().find("more than the 0.4 MiB cache"), std::string::npos);
  // Every other frame reads back too, in order and then backwards (random access, nothing cached ahead).
  for (uint32_t k = 0; k < kFrames; ++k) {
    const std::string n = fmt::format("frame_{:05}.tif", k);
    EXPECT_TRUE(read_file(mnt / "scan" / n) == before.at(n).bytes) << n;
  }
  ASSERT_EQ(d->stop(), 0) << d->log();

  // SIGTERM while a reader is in the middle of cold reads: the daemon stops within 3 s.
  d = mount(opts);
  ASSERT_TRUE(d->ok());
  std::atomic<bool> started{false}, stop{false};
  std::thread reader([&] {
    std::vector<char> buf(128 * 1024);
    for (uint32_t k = kFrames; k-- > 0 && !stop;) {
      const int fd = ::open((mnt / "scan" / fmt::format("frame_{:05}.tif", k)).c_str(), O_RDONLY);
      if (fd < 0) return;
      for (ssize_t r; !stop && (r = ::read(fd, buf.data(), buf.size())) > 0;) started = true;
      ::close(fd);
    }
  });
  EXPECT_TRUE(poll_until([&] { return started.load(); }, 60s));
  const auto t0 = Clock::now();
  EXPECT_EQ(d->terminate(), 0) << d->log();
  EXPECT_LT(Clock::now() - t0, 3s) << "the daemon outlived SIGTERM\n" << d->log();
  stop = true;
  reader.join();
}

}  // namespace
}  // namespace srsfs::fs::e2e
