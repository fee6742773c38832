#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "codec/archive.h"
#include "codec/archive_extract.h"
#include "codec/error.h"
#include "codec/fallback.h"
#include "codec/file_io.h"
#include "codec/tiff_layout.h"
#include "tests/test_paths.h"

namespace srsfs::codec {
namespace {
namespace fs = std::filesystem;
using test::TempDir;

// A small deterministic scan: frames drifting slowly with noise, a text file, an 8-bit TIFF, a subdirectory.
// The generator is part of the golden-archive contract: never change it (add a new one instead).
void make_scan(const fs::path& dir, uint32_t frames = 5, uint32_t w = 37, uint32_t h = 23) {
  fs::create_directories(dir / "meta");
  uint64_t s = 12345;
  auto lcg = [&] { return uint32_t((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 40); };
  for (uint32_t t = 0; t < frames; ++t) {
    Frame16 f(w, h);
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x) f.at(y, x) = uint16_t(1000 + 40 * ((x + t) % 17) + 13 * y + lcg() % 50);
    f.at(0, 0) = 65535;
    Bytes tif = write_gray16_tiff(f, t % 2 ? 4 : 0, t == 3);
    write_file_atomic(dir / fmt::format("frame_{:05}.tif", t), tif);
  }
  std::ofstream(dir / "meta" / "scan.txt") << "energy 25 keV\nexposure 0.1 s\n";
  std::ofstream(dir / "not_a_tiff.tif") << "II*\0 nope";
  ::chmod((dir / "meta" / "scan.txt").c_str(), 0640);
}

void expect_same_tree(const fs::path& a, const fs::path& b) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(a)) {
    if (!e.is_regular_file()) continue;
    fs::path rel = fs::relative(e.path(), a);
    ASSERT_EQ(read_whole_file(e.path()), read_whole_file(b / rel)) << rel;
    struct stat sa = stat_or_throw(e.path()), sb = stat_or_throw(b / rel);
    EXPECT_EQ(sa.st_mode & 07777, sb.st_mode & 07777) << rel;
    EXPECT_EQ(sa.st_mtim.tv_sec, sb.st_mtim.tv_sec) << rel;
    EXPECT_EQ(sa.st_mtim.tv_nsec, sb.st_mtim.tv_nsec) << rel;
    ++n;
  }
  EXPECT_GT(n, 0u);
}

fs::path pack_dir(const fs::path& dir, const fs::path& archive, EncodeOptions opts = {}) {
  ArchiveWriter w(archive);
  ScanManifest m = encode_scan_dir(dir, opts, w);
  w.finish(m);
  return archive;
}

TEST(Archive, PackUnpackGivesIdenticalFilesModesAndTimes) {
  TempDir t;
  make_scan(t / "scan");
  pack_dir(t / "scan", t / "a.srs");
  ArchiveReader r(t / "a.srs");
  EXPECT_EQ(r.manifest().geom.frames, 5u);
  EXPECT_EQ(r.manifest().blob_count, 2u);  // the text file and the fake TIFF
  extract_archive(r, t / "out", {});
  expect_same_tree(t / "scan", t / "out");
  for (const auto& e : fs::directory_iterator(t.path()))  // the writer's temporary has a random suffix
    EXPECT_EQ(e.path().filename().string().find(".srsfs-tmp"), std::string::npos) << e.path() << " left behind";
}

TEST(Archive, PackingTwiceGivesTheSameBytesAtAnyThreadCount) {
  TempDir t;
  make_scan(t / "scan", 20, 64, 70);
  EncodeOptions one, two;
  one.params.threads = 1;
  one.params.band_rows = 16;
  two.params.threads = 3;
  two.params.band_rows = 16;
  pack_dir(t / "scan", t / "a.srs", one);
  pack_dir(t / "scan", t / "b.srs", two);
  EXPECT_EQ(read_whole_file(t / "a.srs"), read_whole_file(t / "b.srs"));
  ArchiveReader r(t / "b.srs");
  ExtractOptions x;
  x.threads = 1;
  extract_archive(r, t / "out", x);
  expect_same_tree(t / "scan", t / "out");
}

TEST(Archive, EmptyAndFallbackOnlyScans) {
  TempDir t;
  fs::create_directories(t / "empty");
  pack_dir(t / "empty", t / "e.srs");
  EXPECT_EQ(extract_archive(ArchiveReader(t / "e.srs"), t / "e", {}).files, 0u);
  fs::create_directories(t / "text");
  std::ofstream(t / "text" / "a.txt") << "hello";
  pack_dir(t / "text", t / "x.srs");
  extract_archive(ArchiveReader(t / "x.srs"), t / "x", {});
  expect_same_tree(t / "text", t / "x");
}

// Every corruption is either detected (srsfs::Error) or, if a flipped byte happens to be unused, harmless:
// extraction never writes a file whose bytes differ from the original.
TEST(Archive, CorruptionAnywhereIsDetectedNeverCrashes) {
  TempDir t;
  make_scan(t / "scan");
  pack_dir(t / "scan", t / "a.srs");
  const Bytes good = read_whole_file(t / "a.srs");
  std::mt19937 rng(7);
  int detected = 0;
  for (int i = 0; i < 400; ++i) {
    Bytes bad = good;
    size_t pos = (i < 64) ? size_t(i) : (i < 128 ? bad.size() - 1 - size_t(i - 64) % bad.size() : rng() % bad.size());
    bad[pos] ^= uint8_t(1u << (rng() % 8));
    write_file_atomic(t / "bad.srs", bad, 0644, false);
    try {
      ArchiveReader r(t / "bad.srs");
      extract_archive(r, std::nullopt, {});
    } catch (const Error& e) {
      ++detected;
      EXPECT_TRUE(e.code() == Errc::corrupt || e.code() == Errc::unsupported) << e.what();
    }
  }
  EXPECT_GT(detected, 390);
}

TEST(Archive, TruncationAtEveryLengthIsAnError) {
  TempDir t;
  make_scan(t / "scan", 3, 9, 5);
  pack_dir(t / "scan", t / "a.srs");
  const Bytes good = read_whole_file(t / "a.srs");
  for (size_t n = 0; n < good.size(); n += (n < 128 ? 1 : 7)) {
    write_file_atomic(t / "cut.srs", ByteSpan(good).first(n), 0644, false);
    EXPECT_THROW(
        {
          ArchiveReader r(t / "cut.srs");
          extract_archive(r, std::nullopt, {});
        },
        Error)
        << "length " << n;
  }
}

TEST(Archive, NotAnArchiveGivesAClearError) {
  TempDir t;
  std::ofstream(t / "x.srs") << "this is a text file, long enough to hold a header of an archive...........";
  try {
    ArchiveReader r(t / "x.srs");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not an srsfs archive"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ArchiveReader(t / "missing.srs"), Error);
}

// Archives written by earlier builds must decode forever. Each golden archive was packed from make_scan() by
// the build named below; SRSFS_WRITE_GOLDEN=1 rewrites only the newest, and a format change adds a new one.
//   scan_v1.srs       archive v1, lms blocks version 1 (first release)
//   scan_v1_lms2.srs  archive v1, lms blocks version 2 (residual cascade)
TEST(Archive, GoldenArchivesStillDecode) {
  TempDir t;
  make_scan(t / "scan");
  const fs::path dir = test::source_dir() / "tests" / "golden";
  if (std::getenv("SRSFS_WRITE_GOLDEN")) pack_dir(t / "scan", dir / "scan_v1_lms2.srs");
  for (const char* name : {"scan_v1.srs", "scan_v1_lms2.srs"}) {
    SCOPED_TRACE(name);
    const fs::path golden = dir / name;
    ASSERT_TRUE(fs::exists(golden)) << golden;
    ArchiveReader r(golden);
    const fs::path out = t / "out" / name;
    extract_archive(r, out, {});
    for (const auto& e : fs::recursive_directory_iterator(t / "scan")) {
      if (!e.is_regular_file()) continue;
      fs::path rel = fs::relative(e.path(), t / "scan");
      EXPECT_EQ(read_whole_file(e.path()), read_whole_file(out / rel)) << rel;
    }
  }
}

TEST(Archive, EveryDatasetOfTheSharedCorpusRoundTrips) {
  auto data = test::shared_data_dir();
  if (!data) GTEST_SKIP() << "../shared/data not present";
  for (const char* d : {"dls_i13_24737_a", "chess_id1a3_eiger500k_ti_scan1"}) {
    if (!fs::exists(*data / d)) continue;
    TempDir t;
    pack_dir(*data / d, t / "a.srs");
    extract_archive(ArchiveReader(t / "a.srs"), t / "out", {});
    expect_same_tree(*data / d, t / "out");
  }
}

}  // namespace
}  // namespace srsfs::codec

namespace srsfs::codec {
namespace {

TEST(Fallback, SparseWordsTakeTheBitshuffleMethodAndEveryMethodRoundTrips) {
  // A photon-counting-like uint32 frame: mostly zeros, a few small counts, plus a 3-byte tail.
  Bytes sparse(4 * 65536 + 3, 0);
  uint64_t s = 99;
  for (size_t i = 0; i + 3 < sparse.size(); i += 4) {
    s = s * 6364136223846793005ull + 1;
    if ((s >> 58) == 0) sparse[i] = uint8_t(1 + (s >> 40) % 5);
  }
  Bytes blob = fallback_compress(sparse);
  EXPECT_EQ(blob[0], 1) << "bit-transposed zstd should win on sparse words";
  EXPECT_EQ(fallback_decompress(blob, sparse.size()), sparse);
  Bytes text(5000, 'a');
  Bytes tblob = fallback_compress(text);
  EXPECT_EQ(fallback_decompress(tblob, text.size()), text);
  Bytes bad = blob;
  bad[0] = 7;
  EXPECT_THROW(fallback_decompress(bad, sparse.size()), Error);
  EXPECT_THROW(fallback_decompress(blob, sparse.size() + 1), Error);
  EXPECT_THROW(fallback_decompress(ByteSpan{}, 0), Error);
}

}  // namespace
}  // namespace srsfs::codec
