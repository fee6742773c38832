// Readers on compressed frames (the same frame from several threads, and different frames) while another scan
// is written through the mount and compressed, and readers of that scan while its raw files are released.
#include <sys/xattr.h>

#include <atomic>

#include "tests/fs/e2e_util.h"

namespace srsfs::fs::e2e {
namespace {

using Concurrency = E2eTest;

// Reads files of `want` through `dir` until stop: whole files, or random ranges with pread.
void reader(const stdfs::path& dir, const TreeView& want, const std::string& only, unsigned seed,
            const std::atomic<bool>& stop, std::atomic<int>& reads, std::atomic<int>& errors, std::string& first_error) {
  std::mt19937 rng(seed);
  std::vector<std::string> names;
  for (const auto& [rel, v] : want) names.push_back(rel);
  std::string buf;
  while (!stop.load()) {
    const std::string& rel = only.empty() ? names[rng() % names.size()] : only;
    const std::string& bytes = want.at(rel).bytes;
    int fd = ::open((dir / rel).c_str(), O_RDONLY);
    bool ok = fd >= 0;
    std::string what = ok ? "" : std::string("open: ") + std::strerror(errno);
    if (ok && !bytes.empty()) {
      const size_t off = rng() % bytes.size(), len = 1 + rng() % (bytes.size() - off);
      buf.assign(len, '\0');
      ssize_t n = ::pread(fd, buf.data(), len, off_t(off));
      ok = n == ssize_t(len) && std::memcmp(buf.data(), bytes.data() + off, len) == 0;
      if (!ok) what = fmt::format("pread {} at {}: got {} ({})", len, off, n, n < 0 ? std::strerror(errno) : "bytes differ");
    }
    if (fd >= 0) ::close(fd);
    ++reads;
    if (!ok && errors++ == 0) first_error = rel + ": " + what;
  }
}

TEST_F(Concurrency, ReadersDuringAnotherScansWriteAndCompression) {
  auto d = mount();
  ASSERT_TRUE(d->ok());
  codec::write_synth_scan(mnt / "a", small_scan(128, 16, 21));
  TreeView a = snapshot(mnt / "a");
  write_file(mnt / "a/.complete", "");
  ASSERT_EQ(wait_done(mnt / "a"), "compressed") << d->log();

  std::atomic<bool> stop{false}, stop_b{false};
  std::atomic<int> reads{0}, errors{0};
  std::vector<std::string> first(8);
  std::vector<std::thread> threads;
  // Two readers of one frame (a single decode shared), three of random frames.
  for (unsigned i = 0; i < 5; ++i)
    threads.emplace_back(reader, mnt / "a", std::cref(a), i < 2 ? "frame_00005.tif" : "", i, std::cref(stop),
                         std::ref(reads), std::ref(errors), std::ref(first[i]));

  codec::write_synth_scan(mnt / "b", small_scan(128, 16, 22));
  TreeView b = snapshot(mnt / "b");
  // Readers of b while it is compressed and its raw files go.
  for (unsigned i = 5; i < 7; ++i)
    threads.emplace_back(reader, mnt / "b", std::cref(b), "", i, std::cref(stop_b), std::ref(reads), std::ref(errors),
                         std::ref(first[i]));
  write_file(mnt / "b/.complete", "");
  EXPECT_EQ(wait_done(mnt / "b"), "compressed") << d->log();
  std::this_thread::sleep_for(300ms);
  stop = true;
  stop_b = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0) << [&] {
    std::string s;
    for (const auto& f : first) s += f.empty() ? "" : f + "\n";
    return s;
  }();
  EXPECT_GT(reads.load(), 50);
  EXPECT_EQ(raw_files(source / "b"), std::vector<std::string>{});
  TreeView b_after = snapshot(mnt / "b");
  b_after.erase(".complete");
  // Not st_ino: SOURCE's filesystem (ext4 at once) reuses the inode numbers of a's released raw files for
  // b's new ones, and the store keeps inode numbers unique, so such b files get store-assigned numbers.
  expect_same(b, b_after, "b compressed", false);
  ASSERT_EQ(d->stop(), 0) << d->log();
}

}  // namespace
}  // namespace srsfs::fs::e2e
