#include "tests/codec/tiff_fixture_gen.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "codec/tiff_memio.h"
#include "tests/test_paths.h"

namespace srsfs::test {
namespace {

using codec::TiffClass;

uint8_t pattern(uint64_t i) { return uint8_t((i * 0x9E3779B97F4A7C15ull) >> 56); }

// A file written by libtiff with the given properties.
struct Spec {
  uint32_t w = 16, h = 12;
  uint16_t bps = 16, spp = 1, sf = SAMPLEFORMAT_UINT, compression = COMPRESSION_NONE;
  uint32_t rps = 0;  // 0 = one strip
  bool be = false, bigtiff = false, tiled = false, reverse = false;
  int pages = 1;
};

Bytes libtiff_file(const Spec& s) {
  std::string mode = std::string("w") + (s.be ? "b" : "l") + (s.bigtiff ? "8" : "");
  codec::detail::TiffMemWriter w("fixture", mode.c_str());
  TIFF* t = w.get();
  uint64_t seed = 0;
  for (int page = 0; page < s.pages; ++page) {
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s.w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, s.h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s.bps);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s.spp);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, s.sf);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s.spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, s.compression);
    std::vector<uint8_t> buf;
    auto fill = [&](size_t n) {
      buf.resize(n);
      for (auto& b : buf) b = pattern(seed++);
    };
    if (s.tiled) {
      TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
      TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
      for (uint32_t k = 0; k < TIFFNumberOfTiles(t); ++k) {
        fill(size_t(TIFFTileSize(t)));
        TIFFWriteEncodedTile(t, k, buf.data(), tmsize_t(buf.size()));
      }
    } else {
      uint32_t rps = s.rps ? s.rps : s.h;
      TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps);
      uint32_t n = TIFFNumberOfStrips(t);
      for (uint32_t i = 0; i < n; ++i) {
        uint32_t k = s.reverse ? n - 1 - i : i;
        fill(size_t(TIFFVStripSize(t, std::min(rps, s.h - k * rps))));
        TIFFWriteEncodedStrip(t, k, buf.data(), tmsize_t(buf.size()));
      }
    }
    if (page + 1 < s.pages) TIFFWriteDirectory(t);
  }
  return w.finish();
}

// A classic TIFF assembled byte by byte, for layouts libtiff would never write.
struct Raw {
  bool be = false;
  uint32_t w = 8, h = 4, rps = 4;
  uint64_t ifd_at = 8;
  uint64_t arrays_at = 0;                 // where values longer than 4 bytes go (0: right after the IFD)
  std::vector<uint64_t> strip_at{};       // file offsets of the strips
  std::vector<uint64_t> counts{};          // declared StripByteCounts; empty: tag omitted, rows*w*2 written
  std::string description{};               // ImageDescription when not empty
  uint8_t filler = 0xEE;                  // bytes nobody points at
  bool write_pixels = true;
};

Bytes raw_file(const Raw& r) {
  Bytes f;
  auto grow = [&](uint64_t end) {
    if (f.size() < end) f.resize(size_t(end), r.filler);
  };
  auto put = [&](uint64_t at, uint64_t v, int n) {
    grow(at + uint64_t(n));
    for (int i = 0; i < n; ++i) f[size_t(at) + size_t(i)] = uint8_t(v >> (8 * (r.be ? n - 1 - i : i)));
  };
  for (size_t k = 0; k < r.counts.size() && k < r.strip_at.size(); ++k) grow(r.strip_at[k] + r.counts[k]);
  // Pixel bytes first, so that a directory placed over them wins.
  uint64_t seed = 0;
  for (size_t k = 0; r.write_pixels && k < r.strip_at.size(); ++k) {
    uint64_t rows = std::min<uint64_t>(r.rps, r.h - k * r.rps), n = rows * r.w * 2;
    for (uint64_t i = 0; i < n; ++i) put(r.strip_at[k] + i, pattern(seed++), 1);
  }

  struct Entry {
    uint16_t type;  // 2 ascii, 3 short, 4 long
    std::vector<uint32_t> v;
  };
  std::map<uint16_t, Entry> tags;
  tags[256] = {4, {r.w}};
  tags[257] = {4, {r.h}};
  tags[258] = {3, {16}};
  tags[259] = {3, {1}};
  tags[262] = {3, {1}};
  tags[277] = {3, {1}};
  tags[278] = {4, {r.rps}};
  std::vector<uint32_t> offs(r.strip_at.begin(), r.strip_at.end());
  tags[273] = {4, offs};
  if (!r.counts.empty()) tags[279] = {4, std::vector<uint32_t>(r.counts.begin(), r.counts.end())};
  if (!r.description.empty()) {
    Entry e{2, {}};
    for (char c : r.description) e.v.push_back(uint8_t(c));
    e.v.push_back(0);
    tags[270] = e;
  }

  grow(8);
  f[0] = f[1] = r.be ? 'M' : 'I';
  put(2, 42, 2);
  put(4, r.ifd_at, 4);
  uint64_t at = r.ifd_at, extra = r.arrays_at ? r.arrays_at : r.ifd_at + 2 + 12 * tags.size() + 4;
  put(at, tags.size(), 2);
  at += 2;
  for (auto& [tag, e] : tags) {
    int size = e.type == 2 ? 1 : e.type == 3 ? 2 : 4;
    put(at, tag, 2);
    put(at + 2, e.type, 2);
    put(at + 4, e.v.size(), 4);
    uint64_t dst = at + 8;
    if (e.v.size() * size_t(size) > 4) {
      put(at + 8, extra, 4);
      dst = extra;
      extra += e.v.size() * size_t(size);
    } else {
      put(at + 8, 0, 4);
    }
    for (size_t i = 0; i < e.v.size(); ++i) put(dst + i * size_t(size), e.v[i], size);
    at += 12;
  }
  put(at, 0, 4);  // no next directory
  return f;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

std::vector<TiffFixture> generate_tiff_fixtures() {
  std::vector<TiffFixture> v;
  auto add = [&](std::string name, TiffClass c, Bytes b) { v.push_back({std::move(name), c, std::move(b)}); };
  const auto G = TiffClass::gray16;

  add("le_one_strip.tif", G, libtiff_file({.w = 64, .h = 48}));
  add("le_many_strips.tif", G, libtiff_file({.w = 64, .h = 48, .rps = 5}));
  add("le_strip_per_row.tif", G, libtiff_file({.w = 40, .h = 30, .rps = 1}));
  add("be_one_strip.tif", G, libtiff_file({.w = 33, .h = 20, .be = true}));
  add("be_many_strips.tif", G, libtiff_file({.w = 33, .h = 20, .rps = 3, .be = true}));
  add("le_reverse_strips.tif", G, libtiff_file({.w = 32, .h = 24, .rps = 4, .reverse = true}));
  add("be_reverse_strips.tif", G, libtiff_file({.w = 31, .h = 9, .rps = 2, .be = true, .reverse = true}));
  add("odd_1x1.tif", G, libtiff_file({.w = 1, .h = 1}));
  add("odd_3x7.tif", G, libtiff_file({.w = 3, .h = 7, .rps = 3}));
  add("odd_17x5.tif", G, libtiff_file({.w = 17, .h = 5, .rps = 2, .be = true}));

  add("lzw.tif", TiffClass::compressed, libtiff_file({.w = 24, .h = 16, .compression = COMPRESSION_LZW}));
  add("deflate.tif", TiffClass::compressed, libtiff_file({.w = 24, .h = 16, .compression = COMPRESSION_ADOBE_DEFLATE}));
  add("tiled.tif", TiffClass::tiled, libtiff_file({.w = 32, .h = 32, .tiled = true}));
  add("u8.tif", TiffClass::bit_depth, libtiff_file({.w = 16, .h = 8, .bps = 8}));
  add("u32.tif", TiffClass::bit_depth, libtiff_file({.w = 16, .h = 8, .bps = 32}));
  add("f32.tif", TiffClass::sample_format, libtiff_file({.w = 16, .h = 8, .bps = 32, .sf = SAMPLEFORMAT_IEEEFP}));
  add("i16.tif", TiffClass::sample_format, libtiff_file({.w = 16, .h = 8, .sf = SAMPLEFORMAT_INT}));
  add("rgb16.tif", TiffClass::multi_sample, libtiff_file({.w = 16, .h = 8, .spp = 3}));
  add("bigtiff.tif", TiffClass::bigtiff, libtiff_file({.w = 16, .h = 8, .bigtiff = true}));
  add("multi_page.tif", TiffClass::multi_page, libtiff_file({.w = 16, .h = 8, .pages = 3}));

  Bytes whole = libtiff_file({.w = 64, .h = 48});  // libtiff puts the directory after the pixels
  add("truncated_directory.tif", TiffClass::truncated, Bytes(whole.begin(), whole.begin() + ptrdiff_t(whole.size() / 2)));
  add("truncated_header.tif", TiffClass::truncated, text("II*"));
  add("text.tif", TiffClass::not_tiff, text("This is not a TIFF file.\n"));
  add("empty.tif", TiffClass::not_tiff, {});

  // Hand-made layouts. The directory sits at byte 8 with ~150 bytes of tags and arrays behind it.
  Raw first{.w = 10, .h = 6, .rps = 2, .strip_at = {200, 240, 280}, .counts = {40, 40, 40},
            .description = "srsfs fixture: directory before the pixels"};
  Bytes ifd_first = raw_file(first);
  add("ifd_first.tif", G, ifd_first);
  add("truncated_pixels.tif", TiffClass::truncated, Bytes(ifd_first.begin(), ifd_first.end() - 7));
  // Each strip declares 6 bytes more than its rows need; the extra bytes belong to the skeleton.
  add("extra_strip_bytes.tif", G,
      raw_file({.be = true, .w = 9, .h = 4, .rps = 2, .strip_at = {300, 342}, .counts = {42, 42}}));
  // Strips in the file backwards, with gaps holding unreferenced bytes.
  add("gaps_backwards.tif", G,
      raw_file({.w = 5, .h = 5, .rps = 2, .strip_at = {400, 350, 300}, .counts = {20, 20, 10}}));
  add("no_bytecounts.tif", G, raw_file({.w = 8, .h = 4, .rps = 4, .strip_at = {200}}));
  // The pixel strip covers the directory itself: those bytes are pixels and directory at once.
  add("strip_overlaps_ifd.tif", G, raw_file({.w = 8, .h = 2, .rps = 2, .arrays_at = 300, .strip_at = {8}, .counts = {32}}));
  add("overlapping_strips.tif", TiffClass::malformed,
      raw_file({.w = 8, .h = 4, .rps = 2, .strip_at = {200, 220}, .counts = {32, 32}}));
  add("short_strip.tif", TiffClass::malformed,
      raw_file({.w = 8, .h = 4, .rps = 2, .strip_at = {200, 240}, .counts = {32, 30}}));
  // libtiff replaces a too-small count of a single uncompressed strip by the image size; the bytes exist.
  add("bogus_single_bytecount.tif", G, raw_file({.w = 8, .h = 4, .rps = 4, .strip_at = {200}, .counts = {62}}));
  add("huge_claim.tif", TiffClass::truncated,
      raw_file({.w = 1000000000, .h = 1000000000, .rps = 1000000000, .strip_at = {200}, .counts = {16},
                .write_pixels = false}));
  Bytes into_header = raw_file({.w = 8, .h = 1, .rps = 1, .strip_at = {300}, .counts = {16}});
  into_header[4] = 6;  // first directory offset points into the header itself
  add("ifd_in_header.tif", TiffClass::malformed, into_header);
  return v;
}

// Writes the fixtures when asked to; a no-op (skipped) otherwise.
TEST(TiffFixtures, Regenerate) {
  if (!std::getenv("SRSFS_REGEN_TIFF_FIXTURES")) GTEST_SKIP() << "set SRSFS_REGEN_TIFF_FIXTURES=1 to rewrite";
  auto dir = fixtures_dir() / "tiff";
  std::filesystem::create_directories(dir);
  for (const auto& fx : generate_tiff_fixtures()) {
    std::ofstream out(dir / fx.file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(fx.bytes.data()), std::streamsize(fx.bytes.size()));
    ASSERT_TRUE(out.good()) << fx.file;
  }
}

}  // namespace srsfs::test
