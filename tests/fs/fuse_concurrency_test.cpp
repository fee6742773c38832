// Many threads writing, reading and listing through one mount at once (libfuse's multithreaded loop).
#include <random>

#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::test {
namespace {

using ConcurrencyTest = FuseTest;

TEST_F(ConcurrencyTest, ManyThreadsReadAndWrite) {
  auto& f = *mfs;
  stdfs::create_directories(f.s("shared"));
  auto comp = pattern_bytes(1 << 20, 99);
  f.view.add("shared/compressed.tif", comp, 900001);
  constexpr int kThreads = 12, kFiles = 6;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      stdfs::create_directories(f.m("t" + std::to_string(t)));
      for (int i = 0; i < kFiles; ++i) {
        auto data = pattern_bytes(200000 + rng() % 100000, uint32_t(t * 100 + i));
        std::string rel = (i % 2 ? "shared/" : "t" + std::to_string(t) + "/") + fmt::format("f{}_{}.tif", t, i);
        int fd = ::open(f.m(rel).c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
        if (fd < 0) {
          ++failures;
          continue;
        }
        for (size_t off = 0; off < data.size();) {  // uneven chunks, as detectors write
          size_t n = std::min<size_t>(1 + rng() % 70000, data.size() - off);
          if (::pwrite(fd, data.data() + off, n, off_t(off)) != ssize_t(n)) ++failures;
          off += n;
        }
        std::vector<uint8_t> back(data.size());
        if (::pread(fd, back.data(), back.size(), 0) != ssize_t(back.size()) || back != data) ++failures;
        ::close(fd);
        // And a compressed file at random offsets, and a listing.
        int cfd = ::open(f.m("shared/compressed.tif").c_str(), O_RDONLY);
        std::vector<uint8_t> buf(4096);
        for (int k = 0; k < 20; ++k) {
          size_t off = rng() % (comp.size() - buf.size());
          if (::pread(cfd, buf.data(), buf.size(), off_t(off)) != ssize_t(buf.size()) ||
              std::memcmp(buf.data(), comp.data() + off, buf.size()) != 0)
            ++failures;
        }
        ::close(cfd);
        size_t listed = 0;
        for (const auto& e : stdfs::directory_iterator(f.m("shared"))) listed += !e.path().empty();
        if (listed == 0) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  // Everything landed in SOURCE.
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kFiles; ++i) {
      std::string rel = (i % 2 ? "shared/" : "t" + std::to_string(t) + "/") + fmt::format("f{}_{}.tif", t, i);
      auto want = pattern_bytes(stdfs::file_size(f.s(rel)), uint32_t(t * 100 + i));
      EXPECT_EQ(read_file(f.s(rel)), std::string(want.begin(), want.end())) << rel;
    }
}

}  // namespace
}  // namespace srsfs::fs::test
