// Byte-exact split of a TIFF frame into (layout, pixels) and the rebuild of the file from them.
// Only plain frames take this path: classic TIFF, one directory, uncompressed 16-bit unsigned grey strips.
// Everything else is classified (TiffClass) so that the caller stores it through the generic fallback.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/bytes.h"
#include "codec/frame.h"

namespace srsfs::codec {

enum class TiffClass : uint8_t {
  gray16 = 0,       // the fast path: layout + pixels reproduce the file
  not_tiff,         // no TIFF magic (includes empty files)
  truncated,        // TIFF magic, but the header, directory or pixel data run past the end
  compressed,       // Compression != none
  tiled,            // tiles rather than strips
  bit_depth,        // BitsPerSample != 16
  sample_format,    // SampleFormat is not unsigned integer (int16, float ...)
  bigtiff,          // 64-bit offsets
  multi_page,       // more than one image directory
  multi_sample,     // SamplesPerPixel != 1
  layout_mismatch,  // looked plain, but the rebuild differs or the layout exceeds its limits
  malformed,        // libtiff refuses it, or strips overlap / are shorter than their rows
};

const char* tiff_class_name(TiffClass) noexcept;

// Where pixel bytes sit in the file. Segments are listed in pixel (row) order; in the file they may lie in
// any order, but never overlap each other.
struct PixelSegment {
  uint64_t offset;
  uint64_t length;
  bool operator==(const PixelSegment&) const = default;
};

struct TiffLayout {
  bool big_endian = false;
  uint32_t width = 0, height = 0;
  uint64_t file_size = 0;
  std::vector<PixelSegment> segments;  // in pixel (row) order; file order may differ
  Bytes skeleton;                      // every non-pixel byte of the file, in file order
  bool operator==(const TiffLayout&) const = default;
};

struct TiffProbe {
  TiffClass cls = TiffClass::malformed;
  std::string reason;  // empty for gray16; otherwise names the file and the cause
  TiffLayout layout;   // valid iff cls == gray16
  Frame16 frame;       // valid iff cls == gray16 (host byte order)
};

// Limits that bound memory for hostile inputs and records.
inline constexpr uint64_t kTiffMaxSkeleton = 64ull << 20;  // non-pixel bytes of one file
inline constexpr uint64_t kTiffMaxFileSize = 1ull << 33;   // classic TIFF addresses 4 GiB; allow a tail

// Classifies `file`; never throws on bad input. For gray16 the layout has been verified: rebuilding from
// (layout, frame) reproduces `file` byte for byte.
TiffProbe probe_tiff(ByteSpan file, std::string_view name_for_errors);

// The whole file. Throws Errc::invalid_argument if the frame does not match the layout.
Bytes rebuild_tiff(const TiffLayout& layout, const Frame16& frame);

// Random access for FUSE reads: fills `out` with file bytes [offset, offset + out.size()). `pixels` holds
// width*height host-order values. Throws Errc::invalid_argument past EOF or for an inconsistent layout.
void rebuild_tiff_range(const TiffLayout& layout, const uint16_t* pixels, uint64_t offset,
                        std::span<uint8_t> out);

// The part of the pixel stream (row-major, two bytes a pixel, in the file's byte order) that the file bytes
// [offset, offset + length) hold: [first, last), empty when the range holds only non-pixel bytes. When strips
// lie out of row order in the file this is the smallest interval that covers them all. A reader of a byte
// range decodes only the rows this names. Throws Errc::invalid_argument for an inconsistent layout.
struct PixelByteRange {
  uint64_t first = 0, last = 0;
  bool empty() const { return first >= last; }
};
PixelByteRange pixel_bytes_of_range(const TiffLayout& layout, uint64_t offset, uint64_t length);

// Part of a frame's pixels: `pixels` holds the pixel stream's bytes [first_byte, first_byte + bytes), as
// host-order values (first_byte and bytes even).
struct PixelWindow {
  const uint16_t* pixels = nullptr;
  uint64_t first_byte = 0, bytes = 0;
};
// rebuild_tiff_range from a window of the pixels; throws Errc::invalid_argument when the range needs a pixel
// outside the window (pixel_bytes_of_range says which are needed).
void rebuild_tiff_range(const TiffLayout& layout, PixelWindow window, uint64_t offset, std::span<uint8_t> out);

// Versioned record (first byte = format version 1; layout in codec/tiff_layout_format.cpp); the body is
// zstd-compressed when that makes it smaller (detectors writing one strip per row produce long StripOffsets
// arrays); a trailing 32-bit XXH3 makes any damaged record fail to parse.
Bytes serialize_layout(const TiffLayout& layout);
// Untrusted input: throws Errc::corrupt on anything inconsistent or too large.
TiffLayout parse_layout(ByteSpan record);

// A plain baseline 16-bit grey TIFF written with libtiff in memory. rows_per_strip 0 = one strip.
Bytes write_gray16_tiff(const Frame16& frame, uint32_t rows_per_strip = 0, bool big_endian = false);

}  // namespace srsfs::codec
