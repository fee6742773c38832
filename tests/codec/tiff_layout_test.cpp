#include "codec/tiff_layout.h"
#include "codec/synth_random.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "codec/checksum.h"
#include "codec/tiff_memio.h"
#include "tests/codec/tiff_fixture_gen.h"
#include "tests/test_paths.h"

namespace srsfs::codec {
namespace {

Bytes read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + p.string());
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

struct Fixture {
  std::string file;
  TiffClass expected;
  Bytes bytes;  // as committed
};

std::vector<Fixture> committed_fixtures() {
  std::vector<Fixture> out;
  for (auto& g : test::generate_tiff_fixtures())
    out.push_back({g.file, g.expected, read_bytes(test::fixtures_dir() / "tiff" / g.file)});
  return out;
}

struct Rng {  // splitmix64: deterministic across platforms
  uint64_t s;
  uint64_t next() {
    return synth::splitmix64(s);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
};

// Pixels as libtiff decodes them (host order), to check that the probe reads values, not just bytes.
Frame16 libtiff_pixels(ByteSpan file) {
  detail::TiffMemReader r(file, "check", "rc", 0);
  EXPECT_NE(r.get(), nullptr) << r.messages().errors;
  uint32_t w = 0, h = 0, rps = 0;
  TIFFGetField(r.get(), TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(r.get(), TIFFTAG_IMAGELENGTH, &h);
  TIFFGetFieldDefaulted(r.get(), TIFFTAG_ROWSPERSTRIP, &rps);
  rps = std::min(rps, h);
  Frame16 f(w, h);
  for (uint32_t s = 0; s < TIFFNumberOfStrips(r.get()); ++s) {
    tmsize_t want = tmsize_t(size_t(std::min(rps, h - s * rps)) * w * 2);
    EXPECT_EQ(TIFFReadEncodedStrip(r.get(), s, f.pixels.data() + size_t(s) * rps * w, want), want) << "strip " << s;
  }
  return f;
}

void expect_ranges_match(const TiffProbe& p, ByteSpan file, Rng& rng, int tries) {
  const uint64_t n = file.size();
  Bytes buf;
  for (int i = 0; i < tries; ++i) {
    uint64_t off = rng.below(n + 1);
    uint64_t len = rng.below(4) == 0 ? n - off : rng.below(std::min<uint64_t>(n - off, 300) + 1);
    buf.assign(size_t(len), 0x5A);
    rebuild_tiff_range(p.layout, p.frame.pixels.data(), off, buf);
    ASSERT_TRUE(std::equal(buf.begin(), buf.end(), file.begin() + ptrdiff_t(off))) << "offset " << off << " length " << len;
  }
}

TEST(TiffLayout, FixturesClassifyAsExpected) {
  for (const auto& fx : committed_fixtures()) {
    TiffProbe p = probe_tiff(fx.bytes, fx.file);
    EXPECT_EQ(tiff_class_name(p.cls), std::string(tiff_class_name(fx.expected))) << fx.file << ": " << p.reason;
    if (p.cls != TiffClass::gray16) {
      EXPECT_NE(p.reason.find(fx.file), std::string::npos) << p.reason;
    }
  }
}

TEST(TiffLayout, Gray16FixturesRebuildExactlyWithLibtiffPixelValues) {
  int gray = 0;
  for (const auto& fx : committed_fixtures()) {
    if (fx.expected != TiffClass::gray16) continue;
    ++gray;
    TiffProbe p = probe_tiff(fx.bytes, fx.file);
    ASSERT_EQ(p.cls, TiffClass::gray16) << fx.file << ": " << p.reason;
    EXPECT_EQ(rebuild_tiff(p.layout, p.frame), fx.bytes) << fx.file;
    EXPECT_EQ(p.layout.file_size, fx.bytes.size());
    EXPECT_EQ(p.layout.skeleton.size() + p.frame.pixel_count() * 2, fx.bytes.size()) << fx.file;
    EXPECT_EQ(libtiff_pixels(fx.bytes), p.frame) << fx.file;
  }
  EXPECT_GE(gray, 15);
}

TEST(TiffLayout, RangesAtRandomOffsetsEqualTheOriginal) {
  Rng rng{42};
  for (const auto& fx : committed_fixtures()) {
    if (fx.expected != TiffClass::gray16) continue;
    TiffProbe p = probe_tiff(fx.bytes, fx.file);
    ASSERT_EQ(p.cls, TiffClass::gray16) << fx.file;
    SCOPED_TRACE(fx.file);
    expect_ranges_match(p, fx.bytes, rng, 500);
    Bytes one(1);
    EXPECT_THROW(rebuild_tiff_range(p.layout, p.frame.pixels.data(), fx.bytes.size(), one), Error);
    EXPECT_THROW(rebuild_tiff_range(p.layout, p.frame.pixels.data(), UINT64_MAX, one), Error);
    Bytes none;
    EXPECT_NO_THROW(rebuild_tiff_range(p.layout, p.frame.pixels.data(), fx.bytes.size(), none));
  }
}

// A reader of a byte range decodes only the rows pixel_bytes_of_range names: rebuilding from exactly that
// window must give the original bytes, and a window one pixel short of it must be refused, never read past.
TEST(TiffLayout, RangesRebuildFromOnlyThePixelsTheyNeed) {
  Rng rng{7};
  int with_pixels = 0, without = 0;
  for (const auto& fx : committed_fixtures()) {
    if (fx.expected != TiffClass::gray16) continue;
    TiffProbe p = probe_tiff(fx.bytes, fx.file);
    ASSERT_EQ(p.cls, TiffClass::gray16) << fx.file;
    SCOPED_TRACE(fx.file);
    const uint64_t n = fx.bytes.size();
    Bytes buf;
    for (int i = 0; i < 300; ++i) {
      const uint64_t off = rng.below(n), len = 1 + rng.below(std::min<uint64_t>(n - off, i % 3 ? 64 : n));
      const PixelByteRange r = pixel_bytes_of_range(p.layout, off, len);
      buf.assign(size_t(len), 0x5A);
      PixelWindow w;
      if (!r.empty()) {
        ++with_pixels;
        ASSERT_LE(r.last, p.frame.pixel_count() * 2);
        w.first_byte = r.first & ~uint64_t(1);
        w.bytes = ((r.last + 1) & ~uint64_t(1)) - w.first_byte;
        w.pixels = p.frame.pixels.data() + w.first_byte / 2;
      } else {
        ++without;
      }
      ASSERT_NO_THROW(rebuild_tiff_range(p.layout, w, off, buf)) << "offset " << off << " length " << len;
      ASSERT_TRUE(std::equal(buf.begin(), buf.end(), fx.bytes.begin() + ptrdiff_t(off))) << "offset " << off;
      if (!r.empty() && w.bytes > 2) {  // one pixel short at the front, then at the back
        PixelWindow front{w.pixels + 1, w.first_byte + 2, w.bytes - 2}, back{w.pixels, w.first_byte, w.bytes - 2};
        EXPECT_THROW(rebuild_tiff_range(p.layout, front, off, buf), Error) << "offset " << off;
        EXPECT_THROW(rebuild_tiff_range(p.layout, back, off, buf), Error) << "offset " << off;
      }
    }
    EXPECT_TRUE(pixel_bytes_of_range(p.layout, n, 10).empty());
    EXPECT_TRUE(pixel_bytes_of_range(p.layout, 0, 0).empty());
  }
  EXPECT_GT(with_pixels, 1000);
  EXPECT_GT(without, 10);  // headers and directories: no pixel is needed, none is decoded
}

TEST(TiffLayout, WriterOutputProbesBackToTheSameFrame) {
  Frame16 f(37, 23);
  for (size_t i = 0; i < f.pixels.size(); ++i) f.pixels[i] = uint16_t(i * 2654435761u >> 7);
  for (bool be : {false, true}) {
    for (uint32_t rps : {0u, 1u, 4u, 23u, 100u}) {
      Bytes file = write_gray16_tiff(f, rps, be);
      TiffProbe p = probe_tiff(file, "writer");
      ASSERT_EQ(p.cls, TiffClass::gray16) << p.reason;
      EXPECT_EQ(p.frame, f);
      EXPECT_EQ(p.layout.big_endian, be);
      EXPECT_EQ(p.layout.segments.size(), rps == 0 ? 1u : (23 + std::min(rps, 23u) - 1) / std::min(rps, 23u));
    }
  }
  EXPECT_THROW(write_gray16_tiff(Frame16{}), Error);
}

TEST(TiffLayout, FrameOfTheWrongSizeIsRefused) {
  Frame16 f(4, 4);
  TiffProbe p = probe_tiff(write_gray16_tiff(f), "x");
  ASSERT_EQ(p.cls, TiffClass::gray16);
  EXPECT_THROW(rebuild_tiff(p.layout, Frame16(4, 3)), Error);
}

TEST(TiffLayout, SerializeParseRoundTrip) {
  for (const auto& fx : committed_fixtures()) {
    if (fx.expected != TiffClass::gray16) continue;
    TiffProbe p = probe_tiff(fx.bytes, fx.file);
    Bytes rec = serialize_layout(p.layout);
    EXPECT_EQ(rec[0], 1) << "format version";
    TiffLayout back = parse_layout(rec);
    EXPECT_EQ(back, p.layout) << fx.file;
    EXPECT_EQ(rebuild_tiff(back, p.frame), fx.bytes) << fx.file;
  }
}

TEST(TiffLayout, OneStripPerRowSerializesCompactly) {
  Frame16 f(256, 512);
  Bytes file = write_gray16_tiff(f, 1);
  TiffProbe p = probe_tiff(file, "rows");
  ASSERT_EQ(p.cls, TiffClass::gray16);
  ASSERT_EQ(p.layout.segments.size(), 512u);
  Bytes rec = serialize_layout(p.layout);
  // Raw: 512 segments and two 2 KiB strip arrays in the skeleton.
  EXPECT_LT(rec.size(), p.layout.skeleton.size() / 2) << rec.size();
  EXPECT_EQ(parse_layout(rec), p.layout);
}

TEST(TiffLayout, DamagedRecordsThrowCorrupt) {
  std::vector<Bytes> records;
  for (const char* name : {"le_many_strips.tif", "be_reverse_strips.tif", "ifd_first.tif", "gaps_backwards.tif"}) {
    Bytes file = read_bytes(test::fixtures_dir() / "tiff" / name);
    TiffProbe p = probe_tiff(file, name);
    ASSERT_EQ(p.cls, TiffClass::gray16) << name;
    records.push_back(serialize_layout(p.layout));
  }
  Frame16 rows(64, 64);
  records.push_back(serialize_layout(probe_tiff(write_gray16_tiff(rows, 1), "rows").layout));  // zstd body

  int cases = 0;
  for (const Bytes& rec : records) {
    for (size_t i = 0; i < rec.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes bad = rec;
        bad[i] ^= uint8_t(1 << bit);
        try {
          parse_layout(bad);
          ADD_FAILURE() << "bit " << bit << " of byte " << i << " flipped, still parsed";
        } catch (const Error& e) {
          EXPECT_EQ(e.code(), Errc::corrupt);
        }
        ++cases;
      }
    }
    for (size_t n = 0; n < rec.size(); ++n) {
      EXPECT_THROW(parse_layout(ByteSpan(rec).first(n)), Error) << "truncated to " << n;
      ++cases;
    }
  }
  EXPECT_GT(cases, 1000);
}

// Records that pass the checksum but lie: parse_layout must still refuse them before allocating.
TEST(TiffLayout, HostileButWellFormedRecordsThrowCorrupt) {
  auto record = [](uint32_t w, uint32_t h, uint64_t file_size, std::vector<PixelSegment> segs, size_t skel) {
    TiffLayout l;
    l.width = w;
    l.height = h;
    l.file_size = file_size;
    l.segments = std::move(segs);
    l.skeleton.resize(skel);
    // Bypass serialize_layout's own validation by writing the format by hand.
    Bytes body;
    ByteWriter b(body);
    b.varint(l.segments.size());
    uint64_t prev = 0;
    for (auto& s : l.segments) {
      int64_t d = int64_t(s.offset - prev);
      b.varint((uint64_t(d) << 1) ^ uint64_t(d >> 63));
      b.varint(s.length);
      prev = s.offset + s.length;
    }
    b.bytes(l.skeleton);
    Bytes out;
    ByteWriter w8(out);
    w8.u8(1);
    w8.u8(0);
    w8.varint(w);
    w8.varint(h);
    w8.varint(file_size);
    w8.varint(body.size());
    w8.blob(body);
    w8.u32(uint32_t(checksum64(out)));
    return out;
  };
  // Sane one for reference.
  EXPECT_NO_THROW(parse_layout(record(2, 2, 16, {{8, 8}}, 8)));
  EXPECT_THROW(parse_layout(record(1000000000, 1000000000, 16, {{8, 8}}, 8)), Error);   // huge image
  EXPECT_THROW(parse_layout(record(2, 2, 1ull << 40, {{8, 8}}, 8)), Error);            // huge file
  EXPECT_THROW(parse_layout(record(2, 2, 16, {{8, 4}, {10, 4}}, 8)), Error);           // overlap
  EXPECT_THROW(parse_layout(record(2, 2, 16, {{12, 8}}, 8)), Error);                   // past the end
  EXPECT_THROW(parse_layout(record(2, 2, 16, {{8, 4}}, 12)), Error);                   // too few pixels
  EXPECT_THROW(parse_layout(record(2, 2, 16, {{8, 4}, {0, 0}, {4, 4}}, 8)), Error);    // empty segment
  EXPECT_THROW(parse_layout(record(2, 2, 17, {{8, 8}}, 8)), Error);                    // skeleton short
}

// Every frame of the real corpus must take the fast path and come back byte for byte.
TEST(TiffLayout, SharedCorpusIsGray16AndRebuildsExactly) {
  auto dir = test::shared_data_dir();
  if (!dir) GTEST_SKIP() << "shared corpus absent";
  int files = 0;
  Rng rng{7};
  for (const auto& e : std::filesystem::recursive_directory_iterator(*dir)) {
    auto ext = e.path().extension().string();
    if (!e.is_regular_file() || (ext != ".tif" && ext != ".tiff")) continue;
    Bytes file = read_bytes(e.path());
    TiffProbe p = probe_tiff(file, e.path().string());
    ASSERT_EQ(p.cls, TiffClass::gray16) << p.reason;
    ASSERT_EQ(rebuild_tiff(parse_layout(serialize_layout(p.layout)), p.frame), file) << e.path();
    if (files % 50 == 0) expect_ranges_match(p, file, rng, 50);
    ++files;
  }
  EXPECT_GT(files, 1000);
}

// Mutated fixtures and garbage never crash, and whatever still classifies gray16 rebuilds to the input.
TEST(TiffLayout, MutatedInputsNeverCrashAndGray16StaysExact) {
  std::vector<Bytes> seeds;
  for (const char* name : {"le_many_strips.tif", "be_many_strips.tif", "le_reverse_strips.tif", "ifd_first.tif",
                           "extra_strip_bytes.tif", "odd_3x7.tif", "lzw.tif", "tiled.tif", "multi_page.tif"})
    seeds.push_back(read_bytes(test::fixtures_dir() / "tiff" / name));
  Rng rng{20240601};
  int gray = 0, total = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    Bytes m = seeds[rng.below(seeds.size())];
    switch (rng.below(5)) {
      case 0:  // random byte flips
        for (uint64_t k = 1 + rng.below(4); k--;) m[rng.below(m.size())] ^= uint8_t(1 + rng.below(255));
        break;
      case 1:  // a 16/32-bit field set to an edge value
      {
        static const uint32_t edge[] = {0, 1, 2, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, 8, 16, 100000};
        uint64_t at = rng.below(m.size() - 4);
        uint32_t v = rng.below(3) == 0 ? uint32_t(m.size() - rng.below(16)) : edge[rng.below(std::size(edge))];
        int n = rng.below(2) ? 4 : 2;
        for (int i = 0; i < n; ++i) m[size_t(at) + size_t(i)] = uint8_t(v >> (8 * i));
        break;
      }
      case 2:  // truncation
        m.resize(size_t(rng.below(m.size())));
        break;
      case 3:  // appended or inserted junk
      {
        uint64_t at = rng.below(m.size() + 1), n = 1 + rng.below(64);
        Bytes junk(static_cast<size_t>(n));
        for (auto& b : junk) b = uint8_t(rng.next());
        m.insert(m.begin() + ptrdiff_t(at), junk.begin(), junk.end());
        break;
      }
      default:  // garbage behind a TIFF signature
      {
        m.resize(size_t(8 + rng.below(600)));
        for (auto& b : m) b = uint8_t(rng.next());
        m[0] = m[1] = rng.below(2) ? 'I' : 'M';
        m[2] = m[0] == 'I' ? 42 : 0;
        m[3] = m[0] == 'I' ? 0 : 42;
        m[4] = m[0] == 'I' ? uint8_t(8 + rng.below(64)) : 0;
        m[5] = m[6] = 0;
        m[7] = m[0] == 'I' ? 0 : uint8_t(8 + rng.below(64));
      }
    }
    TiffProbe p = probe_tiff(m, "mutant");
    ++total;
    if (p.cls == TiffClass::gray16) {
      ++gray;
      ASSERT_EQ(rebuild_tiff(p.layout, p.frame), m) << "iteration " << iter;
      ASSERT_EQ(parse_layout(serialize_layout(p.layout)), p.layout) << "iteration " << iter;
    } else {
      ASSERT_FALSE(p.reason.empty());
    }
  }
  EXPECT_EQ(total, 4000);
  EXPECT_GT(gray, 100);  // the mutations must still exercise the gray16 path
}

}  // namespace
}  // namespace srsfs::codec
