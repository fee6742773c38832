// Reads of compressed files through StoreView when frames are large next to the cache (issue 16): a read of
// a byte range decodes only the bands it needs, a frame larger than the whole cache is still read with each
// band decoded once, fallback files larger than the cache are read without decompressing them per request,
// and memory stays within the cache. The scan is compressed by the real compressor into a real store; the
// decode work is measured by the view's decoded_bytes counter, never by time.
#include <gtest/gtest.h>

#include <map>

#include "codec/file_io.h"
#include "codec/synth_scan.h"
#include "fs/compressor.h"
#include "fs/store_view.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {
namespace fsys = std::filesystem;

constexpr uint32_t kSize = 256, kFrames = 17, kBandRows = 16;
constexpr uint64_t kFrameBytes = uint64_t(kSize) * kSize * 2, kBandBytes = uint64_t(kSize) * kBandRows * 2;
constexpr size_t kBigFallback = 3u << 20;  // a non-TIFF file of the scan, larger than the smaller caches

// One compressed scan: 17 frames of 256x256 in one group of 17 frames and 16 bands of 16 rows (2.1 MiB of
// pixels in a group), plus a 3 MiB fallback file.
class StoreViewRead : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<srsfs::test::TempDir>();
    const fsys::path src = dir_->path() / "src";
    codec::SynthOptions so;
    so.width = so.height = kSize;
    so.frames = kFrames;
    so.seed = 16;
    so.threads = 2;
    codec::write_synth_scan(src / "scan", so);
    Bytes big(kBigFallback);
    for (size_t i = 0; i < big.size(); ++i) big[i] = uint8_t((i * 2654435761u) >> 13 ^ (i >> 9));
    srsfs::write_file_atomic(src / "scan" / "big.bin", big);
    for (const auto& e : fsys::directory_iterator(src / "scan"))
      originals_["scan/" + e.path().filename().string()] = srsfs::read_whole_file(e.path());
    auto store = Store::open(dir_->path() / "store");
    CompressorOptions co;
    co.source = src;
    co.spool = dir_->path() / "store" / "spool";
    co.params.threads = 2;
    co.params.band_rows = kBandRows;
    Compressor c(*store, co);
    c.compress_now("scan");
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void SetUp() override { store_ = Store::open(dir_->path() / "store"); }

  std::unique_ptr<StoreView> view(size_t cache_bytes) {
    cache::CacheOptions c;
    c.capacity_bytes = cache_bytes;
    return std::make_unique<StoreView>(*store_, c, 2);
  }

  // Reads `path` whole through one handle in requests of `piece` bytes, as the kernel sends them.
  static Bytes read_whole(StoreView& v, const std::string& path, size_t piece = 128 * 1024) {
    auto h = v.open(path);
    const size_t size = originals_.at(path).size();
    Bytes out(size);
    for (size_t off = 0; off < size; off += piece) {
      const size_t n = std::min(piece, size - off);
      EXPECT_EQ(v.read(*h, off, std::span(out).subspan(off, n)), n) << path << " at " << off;
    }
    return out;
  }

  static std::string frame(uint32_t k) { return fmt::format("scan/frame_{:05}.tif", k); }

  static std::unique_ptr<srsfs::test::TempDir> dir_;
  static std::map<std::string, Bytes> originals_;
  std::unique_ptr<Store> store_;
};
std::unique_ptr<srsfs::test::TempDir> StoreViewRead::dir_;
std::map<std::string, Bytes> StoreViewRead::originals_;

TEST_F(StoreViewRead, TheScanIsCutAsTheTestNeeds) {
  auto rec = store_->find_scan("scan");
  ASSERT_TRUE(rec);
  auto f = store_->get_file(frame(0));
  ASSERT_TRUE(f);
  EXPECT_EQ(originals_.size(), kFrames + 2);  // frames, synth.json, big.bin
  EXPECT_GT(originals_.at(frame(0)).size(), kFrameBytes);
}

TEST_F(StoreViewRead, AColdReadOfAByteRangeDecodesOnlyTheBandsItNeeds) {
  auto v = view(64u << 20);
  const std::string path = frame(kFrames - 1);
  const Bytes& want = originals_.at(path);
  auto h = v->open(path);
  // The first 4 KiB: the header and the first rows, all in band 0. The last frame of the group needs every
  // earlier frame of that band decoded, and nothing of the other 15 bands.
  Bytes got(4 * 1024);
  ASSERT_EQ(v->read(*h, 0, got), got.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin()));
  EXPECT_EQ(v->decoded_bytes(), kFrames * kBandBytes) << "one band of each frame up to the one read";
  // 4 KiB from the middle: one more band (or two where it crosses a band's end).
  const uint64_t mid = want.size() / 2 + 1000;
  ASSERT_EQ(v->read(*h, mid, got), got.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin() + ptrdiff_t(mid)));
  EXPECT_LE(v->decoded_bytes(), 3 * kFrames * kBandBytes);
  EXPECT_GE(v->decoded_bytes(), 2 * kFrames * kBandBytes);
  // An earlier frame of the same band is served from what that decode cached.
  const uint64_t before = v->decoded_bytes();
  auto h2 = v->open(frame(kFrames - 2));
  ASSERT_EQ(v->read(*h2, 0, got), got.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), originals_.at(frame(kFrames - 2)).begin()));
  EXPECT_EQ(v->decoded_bytes(), before);
}

// The 40-minute read of issue 16, scaled down: a frame larger than the whole cache, at the end of its group.
// Each band is decoded once (up to the frame), not once per 128 KiB request; the cache never holds more than
// its capacity.
TEST_F(StoreViewRead, AFrameLargerThanTheCacheReadsWholeWithEachBandDecodedOnce) {
  for (size_t cache : {size_t(64) << 10, size_t(96) << 10}) {
    SCOPED_TRACE(cache);
    auto v = view(cache);
    ASSERT_LT(cache, kFrameBytes);
    const std::string path = frame(kFrames - 1);
    EXPECT_TRUE(read_whole(*v, path) == originals_.at(path));
    const uint64_t once = uint64_t(kFrames) * kFrameBytes;  // every band of frames 0..16, decoded once
    EXPECT_GE(v->decoded_bytes(), once);
    // Read-ahead may lose a band it decoded to eviction and decode it again; never whole frames again.
    EXPECT_LE(v->decoded_bytes(), once + once / 4);
    EXPECT_LE(v->cache_stats().bytes, cache);
    EXPECT_FALSE(v->cache_warnings().empty()) << "the cache cannot hold a group";
  }
}

TEST_F(StoreViewRead, ReadingTheScanInOrderIsExactWithAnyCacheAndDecodesOnceWhenAGroupFits) {
  for (size_t cache : {size_t(256) << 10, size_t(768) << 10, size_t(16) << 20}) {
    SCOPED_TRACE(cache);
    auto v = view(cache);
    for (uint32_t k = 0; k < kFrames; ++k) ASSERT_TRUE(read_whole(*v, frame(k)) == originals_.at(frame(k))) << k;
    EXPECT_LE(v->cache_stats().bytes, cache);
    EXPECT_EQ(v->largest_group_bytes(), kFrames * kFrameBytes);
    const uint64_t once = uint64_t(kFrames) * kFrameBytes;
    if (cache > 2 * once) {
      EXPECT_LE(v->decoded_bytes(), once + once / 8) << "a cache that holds the group decodes each frame once";
      EXPECT_TRUE(v->cache_warnings().empty());
    } else {
      // Frame k decodes 0..k again when the frames decoded ahead were evicted: bounded by the triangle.
      EXPECT_LE(v->decoded_bytes(), once * (kFrames + 1) / 2 + once / 4);
      ASSERT_EQ(v->cache_warnings().size(), 1u);
      EXPECT_NE(v->cache_warnings()[0].find("scan scan: one group (17 frames of 256x256)"), std::string::npos)
          << v->cache_warnings()[0];
    }
  }
}

TEST_F(StoreViewRead, AFallbackFileLargerThanTheCacheIsDecompressedOncePerChunkAtMost) {
  auto v = view(size_t(1) << 20);
  EXPECT_TRUE(read_whole(*v, "scan/big.bin") == originals_.at("scan/big.bin"));
  // 3 chunks, each a miss that decompresses the blob (3 MiB); a request of 128 KiB never does it alone.
  EXPECT_LE(v->decoded_bytes(), 3 * kBigFallback);
  EXPECT_LE(v->cache_stats().bytes, size_t(1) << 20);
  // With room, one decompression serves the file.
  auto roomy = view(size_t(64) << 20);
  EXPECT_TRUE(read_whole(*roomy, "scan/big.bin", 100000) == originals_.at("scan/big.bin"));
  EXPECT_EQ(roomy->decoded_bytes(), kBigFallback);
}

TEST_F(StoreViewRead, ReadsAcrossBandsAndOddRequestSizesAreExact) {
  auto v = view(size_t(512) << 10);
  for (size_t piece : {size_t(1) << 20, size_t(77777), size_t(4096), size_t(1000)})
    for (uint32_t k : {0u, 5u, 16u}) EXPECT_TRUE(read_whole(*v, frame(k), piece) == originals_.at(frame(k))) << piece << " " << k;
}

}  // namespace
}  // namespace srsfs::fs
