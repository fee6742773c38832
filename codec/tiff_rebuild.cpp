// Rebuilding TIFF bytes from (layout, pixels): the whole file, or any byte range for FUSE reads.
#include <algorithm>
#include <bit>
#include <cstring>

#include "codec/tiff_layout.h"
#include "codec/tiff_layout_view.h"

namespace srsfs::codec {
namespace detail {

LayoutView::LayoutView(const TiffLayout& l, Errc code) {
  if (l.width == 0 || l.height == 0) fail(code, "TIFF layout: empty image {}x{}", l.width, l.height);
  if (l.file_size > kTiffMaxFileSize) fail(code, "TIFF layout: file size {} exceeds the limit", l.file_size);
  uint64_t pixels = uint64_t(l.width) * l.height;
  if (pixels > l.file_size / 2)
    fail(code, "TIFF layout: {}x{} pixels do not fit in a {}-byte file", l.width, l.height, l.file_size);
  const uint64_t pixel_bytes = pixels * 2;
  if (l.segments.empty() || l.segments.size() > l.height)
    fail(code, "TIFF layout: {} pixel segments for {} rows", l.segments.size(), l.height);
  if (l.skeleton.size() != l.file_size - pixel_bytes)
    fail(code, "TIFF layout: skeleton of {} bytes, expected {}", l.skeleton.size(), l.file_size - pixel_bytes);

  segs_.reserve(l.segments.size());
  uint64_t pixel_pos = 0;
  for (const PixelSegment& s : l.segments) {
    if (s.length == 0 || s.length > l.file_size || s.offset > l.file_size - s.length)
      fail(code, "TIFF layout: pixel segment [{}, +{}) outside the {}-byte file", s.offset, s.length, l.file_size);
    if (s.length > pixel_bytes - pixel_pos)
      fail(code, "TIFF layout: pixel segments exceed the {} pixel bytes", pixel_bytes);
    segs_.push_back({s.offset, s.length, pixel_pos, 0});
    pixel_pos += s.length;
  }
  if (pixel_pos != pixel_bytes)
    fail(code, "TIFF layout: pixel segments hold {} bytes, the image needs {}", pixel_pos, pixel_bytes);

  auto by_offset = [](const FileOrderSegment& a, const FileOrderSegment& b) { return a.offset < b.offset; };
  if (!std::is_sorted(segs_.begin(), segs_.end(), by_offset)) std::sort(segs_.begin(), segs_.end(), by_offset);
  uint64_t end = 0, before = 0;  // end of the previous segment; pixel bytes before this one
  for (FileOrderSegment& s : segs_) {
    if (s.offset < end) fail(code, "TIFF layout: pixel segments overlap at byte {}", s.offset);
    s.skel_start = s.offset - before;
    before += s.length;
    end = s.offset + s.length;
  }
}

}  // namespace detail

namespace {

// Writes pixel-stream bytes [q, q + n) in the file's byte order; `w` holds stream bytes [w.first_byte, +w.bytes).
void emit_pixels(const PixelWindow& w, uint64_t q, uint64_t n, bool big_endian, uint8_t* out) {
  if (q < w.first_byte || n > w.bytes || q - w.first_byte > w.bytes - n)
    fail(Errc::invalid_argument, "TIFF rebuild: pixel bytes [{}, +{}) lie outside the window [{}, +{})", q, n,
         w.first_byte, w.bytes);
  const uint16_t* pixels = w.pixels;
  q -= w.first_byte;  // first_byte is even, so q keeps its parity
  const bool native = big_endian == (std::endian::native == std::endian::big);
  if (native) {
    std::memcpy(out, reinterpret_cast<const uint8_t*>(pixels) + q, size_t(n));
    return;
  }
  // Swapped order: byte q of the stream is the high byte of pixel q/2 when q is even.
  auto byte_at = [&](uint64_t p) -> uint8_t {
    uint16_t v = pixels[p >> 1];
    return (p & 1) ? uint8_t(v) : uint8_t(v >> 8);
  };
  uint64_t i = 0;
  if (q & 1) out[i++] = byte_at(q);
  for (; i + 1 < n; i += 2) {
    uint16_t v = pixels[(q + i) >> 1];
    out[i] = uint8_t(v >> 8);
    out[i + 1] = uint8_t(v);
  }
  if (i < n) out[i] = byte_at(q + i);
}

// The first segment (in file order) that ends after `offset`.
auto first_segment_after(const std::vector<detail::FileOrderSegment>& segs, uint64_t offset) {
  return std::partition_point(segs.begin(), segs.end(),
                              [&](const detail::FileOrderSegment& s) { return s.offset + s.length <= offset; });
}

}  // namespace

PixelByteRange pixel_bytes_of_range(const TiffLayout& layout, uint64_t offset, uint64_t length) {
  PixelByteRange r{UINT64_MAX, 0};
  if (length == 0 || offset >= layout.file_size) return {};
  detail::LayoutView view(layout, Errc::invalid_argument);
  const uint64_t end = offset + std::min(length, layout.file_size - offset);
  const auto& segs = view.segments();
  for (auto it = first_segment_after(segs, offset); it != segs.end() && it->offset < end; ++it) {
    const uint64_t from = offset > it->offset ? offset - it->offset : 0;
    const uint64_t to = std::min(it->length, end - it->offset);
    r.first = std::min(r.first, it->pixel_start + from);
    r.last = std::max(r.last, it->pixel_start + to);
  }
  return r.first < r.last ? r : PixelByteRange{};
}

void rebuild_tiff_range(const TiffLayout& layout, PixelWindow window, uint64_t offset, std::span<uint8_t> out) {
  if (offset > layout.file_size || out.size() > layout.file_size - offset)
    fail(Errc::invalid_argument, "TIFF rebuild: bytes [{}, +{}) lie past the end of a {}-byte file", offset,
         out.size(), layout.file_size);
  if ((window.first_byte | window.bytes) & 1)
    fail(Errc::invalid_argument, "TIFF rebuild: a pixel window must start and end on a pixel");
  if (out.empty()) return;
  detail::LayoutView view(layout, Errc::invalid_argument);
  const auto& segs = view.segments();
  const uint64_t pixel_total = layout.file_size - layout.skeleton.size();

  auto it = first_segment_after(segs, offset);
  uint64_t pos = offset;
  size_t o = 0;
  while (o < out.size()) {
    const uint64_t left = out.size() - o;
    if (it != segs.end() && pos >= it->offset) {
      uint64_t within = pos - it->offset;
      uint64_t n = std::min(it->length - within, left);
      emit_pixels(window, it->pixel_start + within, n, layout.big_endian, out.data() + o);
      pos += n;
      o += size_t(n);
      ++it;
    } else {
      uint64_t next = it != segs.end() ? it->offset : layout.file_size;
      uint64_t pixels_before = it != segs.end() ? it->offset - it->skel_start : pixel_total;
      uint64_t n = std::min(next - pos, left);
      std::memcpy(out.data() + o, layout.skeleton.data() + (pos - pixels_before), size_t(n));
      pos += n;
      o += size_t(n);
    }
  }
}

void rebuild_tiff_range(const TiffLayout& layout, const uint16_t* pixels, uint64_t offset,
                        std::span<uint8_t> out) {
  const uint64_t pixel_bytes = uint64_t(layout.width) * layout.height * 2;
  rebuild_tiff_range(layout, PixelWindow{pixels, 0, pixel_bytes}, offset, out);
}

Bytes rebuild_tiff(const TiffLayout& layout, const Frame16& frame) {
  if (frame.width != layout.width || frame.height != layout.height || frame.pixels.size() != frame.pixel_count())
    fail(Errc::invalid_argument, "TIFF rebuild: frame {}x{} does not match the layout's {}x{}", frame.width,
         frame.height, layout.width, layout.height);
  Bytes out(size_t(layout.file_size));
  rebuild_tiff_range(layout, frame.pixels.data(), 0, out);
  return out;
}

}  // namespace srsfs::codec
