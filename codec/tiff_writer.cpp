// A plain baseline 16-bit grey TIFF, written by libtiff into memory.
#include <algorithm>

#include "codec/tiff_layout.h"
#include "codec/tiff_memio.h"

namespace srsfs::codec {

Bytes write_gray16_tiff(const Frame16& frame, uint32_t rows_per_strip, bool big_endian) {
  if (frame.width == 0 || frame.height == 0 || frame.pixels.size() != frame.pixel_count())
    fail(Errc::invalid_argument, "TIFF writer: frame {}x{} with {} pixels", frame.width, frame.height,
         frame.pixels.size());
  if (uint64_t(frame.pixel_count()) * 2 > (1ull << 32) - (1ull << 20))
    fail(Errc::invalid_argument, "TIFF writer: frame {}x{} too large for a classic TIFF", frame.width, frame.height);
  const uint32_t rps = rows_per_strip == 0 ? frame.height : std::min(rows_per_strip, frame.height);

  detail::TiffMemWriter w("gray16 TIFF writer", big_endian ? "wb" : "wl");
  TIFF* t = w.get();
  TIFFSetField(t, TIFFTAG_IMAGEWIDTH, frame.width);
  TIFFSetField(t, TIFFTAG_IMAGELENGTH, frame.height);
  TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
  TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
  TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, SAMPLEFORMAT_UINT);
  TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
  TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
  TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
  TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps);

  // libtiff byte-swaps the caller's buffer in place for big-endian files: hand it a copy.
  std::vector<uint16_t> strip;
  const uint32_t nstrips = (frame.height + rps - 1) / rps;
  for (uint32_t s = 0; s < nstrips; ++s) {
    uint32_t y0 = s * rps, rows = std::min(rps, frame.height - y0);
    auto first = frame.pixels.begin() + ptrdiff_t(size_t(y0) * frame.width);
    strip.assign(first, first + ptrdiff_t(size_t(rows) * frame.width));
    tmsize_t bytes = tmsize_t(strip.size() * 2);
    if (TIFFWriteEncodedStrip(t, s, strip.data(), bytes) != bytes)
      fail(Errc::internal, "TIFF writer: libtiff failed to write strip {}: {}", s, w.messages().errors);
  }
  return w.finish();
}

}  // namespace srsfs::codec
