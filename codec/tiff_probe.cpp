// Classifying a TIFF file and splitting a plain 16-bit grey one into (layout, pixels).
// Our own header checks come first so that empty, foreign, BigTIFF and truncated files are told apart
// without libtiff; libtiff then reads the directory. Pixel bytes are taken straight from the file and the
// result is proven by rebuilding the file and comparing: the layout can only cost ratio, never data.
#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <new>
#include <optional>

#include "codec/tiff_layout.h"
#include "codec/tiff_memio.h"

namespace srsfs::codec {

const char* tiff_class_name(TiffClass c) noexcept {
  switch (c) {
    case TiffClass::gray16: return "gray16";
    case TiffClass::not_tiff: return "not_tiff";
    case TiffClass::truncated: return "truncated";
    case TiffClass::compressed: return "compressed";
    case TiffClass::tiled: return "tiled";
    case TiffClass::bit_depth: return "bit_depth";
    case TiffClass::sample_format: return "sample_format";
    case TiffClass::bigtiff: return "bigtiff";
    case TiffClass::multi_page: return "multi_page";
    case TiffClass::multi_sample: return "multi_sample";
    case TiffClass::layout_mismatch: return "layout_mismatch";
    case TiffClass::malformed: return "malformed";
  }
  return "unknown";
}

namespace {

template <typename... Args>
TiffProbe classified(TiffClass cls, std::string_view name, fmt::format_string<Args...> f, Args&&... args) {
  TiffProbe p;
  p.cls = cls;
  p.reason = fmt::format("{}: {}", name, fmt::format(f, std::forward<Args>(args)...));
  return p;
}

uint32_t read_u(ByteSpan f, uint64_t at, int n, bool be) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v |= uint32_t(f[size_t(at) + (be ? size_t(n - 1 - i) : size_t(i))]) << (8 * i);
  return v;
}

// Header and first-directory checks on raw bytes; nullopt when libtiff should look further.
std::optional<TiffProbe> check_header(ByteSpan f, std::string_view name) {
  static constexpr std::array<std::array<uint8_t, 4>, 4> kMagic = {{
      {'I', 'I', 42, 0}, {'M', 'M', 0, 42}, {'I', 'I', 43, 0}, {'M', 'M', 0, 43}}};
  if (f.empty()) return classified(TiffClass::not_tiff, name, "empty file");
  const size_t head = std::min<size_t>(f.size(), 4);
  const std::array<uint8_t, 4>* magic = nullptr;
  for (const auto& m : kMagic)
    if (std::equal(f.begin(), f.begin() + ptrdiff_t(head), m.begin())) magic = &m;
  if (!magic) return classified(TiffClass::not_tiff, name, "no TIFF signature");
  if (f.size() < 4) return classified(TiffClass::truncated, name, "{} bytes, shorter than a TIFF header", f.size());
  if ((*magic)[2] == 43 || (*magic)[3] == 43) return classified(TiffClass::bigtiff, name, "BigTIFF");
  if (f.size() < 8) return classified(TiffClass::truncated, name, "{} bytes, shorter than a TIFF header", f.size());
  const bool be = f[0] == 'M';
  const uint64_t ifd = read_u(f, 4, 4, be);
  if (ifd < 8) return classified(TiffClass::malformed, name, "first directory offset {} points into the header", ifd);
  if (ifd + 2 > f.size())
    return classified(TiffClass::truncated, name, "first directory at byte {} lies past the end ({} bytes)", ifd,
                      f.size());
  const uint64_t entries = read_u(f, ifd, 2, be);
  if (entries == 0) return classified(TiffClass::malformed, name, "first directory has no entries");
  if (ifd + 2 + 12 * entries + 4 > f.size())
    return classified(TiffClass::truncated, name, "first directory ({} entries at byte {}) runs past the end", entries,
                      ifd);
  if (f.size() > kTiffMaxFileSize)
    return classified(TiffClass::layout_mismatch, name, "{} bytes exceed the TIFF layout limit", f.size());
  return std::nullopt;
}

// The first differing byte between `file` and the rebuild of (layout, pixels), or file size when equal.
uint64_t first_difference(ByteSpan file, const TiffLayout& layout, const uint16_t* pixels) {
  constexpr size_t kChunk = 1 << 20;
  Bytes buf(std::min<size_t>(kChunk, file.size()));
  for (uint64_t at = 0; at < file.size(); at += kChunk) {
    size_t n = size_t(std::min<uint64_t>(kChunk, file.size() - at));
    std::span<uint8_t> out(buf.data(), n);
    rebuild_tiff_range(layout, pixels, at, out);
    if (std::memcmp(out.data(), file.data() + at, n) != 0) {
      size_t i = 0;
      while (out[i] == file[size_t(at) + i]) ++i;
      return at + i;
    }
  }
  return file.size();
}

TiffProbe probe_impl(ByteSpan f, std::string_view name) {
  if (auto early = check_header(f, name)) return std::move(*early);

  // libtiff's own allocations (strip arrays, tag values) are bounded by the input size.
  const tmsize_t max_alloc = tmsize_t((1u << 20) + 8 * f.size());
  const std::string cname(name);
  detail::TiffMemReader reader(f, cname.c_str(), "rc", max_alloc);  // c: no strip chopping
  TIFF* t = reader.get();
  if (!t) return classified(TiffClass::malformed, name, "libtiff cannot read it: {}", reader.messages().errors);

  uint16_t compression = 0, sample_format = 0, bits = 0, samples = 0;
  TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &compression);
  if (compression != COMPRESSION_NONE) return classified(TiffClass::compressed, name, "compression {}", compression);
  if (TIFFIsTiled(t)) return classified(TiffClass::tiled, name, "tiled");
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &sample_format);
  if (sample_format != SAMPLEFORMAT_UINT) return classified(TiffClass::sample_format, name, "sample format {}", sample_format);
  TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
  if (bits != 16) return classified(TiffClass::bit_depth, name, "{} bits per sample", bits);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &samples);
  if (samples != 1) return classified(TiffClass::multi_sample, name, "{} samples per pixel", samples);
  if (!TIFFLastDirectory(t)) return classified(TiffClass::multi_page, name, "more than one image directory");

  uint32_t width = 0, height = 0, rps = 0;
  if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &height) || width == 0 ||
      height == 0)
    return classified(TiffClass::malformed, name, "image size {}x{}", width, height);
  const uint64_t size = f.size();
  if (uint64_t(width) * height > size / 2)
    return classified(TiffClass::truncated, name, "{}x{} pixels need more than the file's {} bytes", width, height, size);
  const uint64_t pixel_bytes = uint64_t(width) * height * 2;
  if (size - pixel_bytes > kTiffMaxSkeleton)
    return classified(TiffClass::layout_mismatch, name, "{} non-pixel bytes exceed the layout limit", size - pixel_bytes);
  TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
  if (rps == 0) return classified(TiffClass::malformed, name, "RowsPerStrip is 0");
  rps = std::min(rps, height);
  const uint32_t nstrips = height / rps + (height % rps != 0);
  if (TIFFNumberOfStrips(t) != nstrips)
    return classified(TiffClass::malformed, name, "{} strips, {} rows at {} per strip need {}", TIFFNumberOfStrips(t),
                      height, rps, nstrips);

  TiffProbe p;
  TiffLayout& l = p.layout;
  l.big_endian = TIFFIsBigEndian(t);
  l.width = width;
  l.height = height;
  l.file_size = size;
  l.segments.reserve(nstrips);
  for (uint32_t s = 0; s < nstrips; ++s) {
    int err = 0;
    uint64_t off = TIFFGetStrileOffsetWithErr(t, s, &err);
    uint64_t count = err ? 0 : TIFFGetStrileByteCountWithErr(t, s, &err);
    if (err) return classified(TiffClass::malformed, name, "strip {} offset or byte count unreadable", s);
    const uint64_t need = uint64_t(std::min(rps, height - s * rps)) * width * 2;
    if (off > size || need > size - off)
      return classified(TiffClass::truncated, name, "strip {} at byte {} needs {} bytes, the file ends at {}", s, off,
                        need, size);
    if (count < need)
      return classified(TiffClass::malformed, name, "strip {} holds {} bytes, its rows need {}", s, count, need);
    l.segments.push_back({off, need});  // bytes past `need` stay in the skeleton
  }

  std::vector<PixelSegment> by_offset = l.segments;
  std::sort(by_offset.begin(), by_offset.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  uint64_t end = 0;
  for (const PixelSegment& s : by_offset) {
    if (s.offset < end) return classified(TiffClass::malformed, name, "strips overlap at byte {}", s.offset);
    l.skeleton.insert(l.skeleton.end(), f.begin() + ptrdiff_t(end), f.begin() + ptrdiff_t(s.offset));
    end = s.offset + s.length;
  }
  l.skeleton.insert(l.skeleton.end(), f.begin() + ptrdiff_t(end), f.end());

  p.frame = Frame16(width, height);
  auto* dst = reinterpret_cast<uint8_t*>(p.frame.pixels.data());
  for (const PixelSegment& s : l.segments) {
    std::memcpy(dst, f.data() + s.offset, size_t(s.length));
    dst += s.length;
  }
  if (l.big_endian != (std::endian::native == std::endian::big))
    for (uint16_t& v : p.frame.pixels) v = uint16_t((v >> 8) | (v << 8));

  // Safety net: the layout must reproduce the input exactly, through the same code FUSE reads use.
  if (uint64_t at = first_difference(f, l, p.frame.pixels.data()); at != size)
    return classified(TiffClass::layout_mismatch, name, "rebuilt file differs at byte {}", at);
  p.cls = TiffClass::gray16;
  return p;
}

}  // namespace

TiffProbe probe_tiff(ByteSpan file, std::string_view name_for_errors) {
  try {
    return probe_impl(file, name_for_errors);
  } catch (const std::bad_alloc&) {
    return classified(TiffClass::malformed, name_for_errors, "out of memory while reading the layout");
  } catch (const std::exception& e) {
    return classified(TiffClass::malformed, name_for_errors, "{}", e.what());
  }
}

}  // namespace srsfs::codec
