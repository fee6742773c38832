// True values of the pixels whose difference fell outside the truncation window (the escape symbol).
// verbatim: the paper's way, each pixel's 16-bit value. gamma: the distance beyond the window's edge,
// range-coded as side bit + Elias-gamma length (adaptive binary contexts) + mantissa.
#pragma once
#include <array>
#include <cstdint>
#include <span>

#include "codec/bytes.h"
#include "codec/range_coder.h"
#include "codec/truncated_map.h"

namespace srsfs::codec {

// How a block codes the true values of escaped pixels.
enum class EscapeCoding : uint8_t {
  verbatim = 0,  // the paper: each escaped pixel's 16-bit value, little-endian
  gamma = 1,     // range-coded distance outside the window, adaptive Elias-gamma
  smallest = 2,  // the encoder codes both per block and keeps the smaller (model option only)
};

struct EscapedPixel {
  uint16_t prev = 0, cur = 0;  // the pixel in the previous and the current frame
};

// Escapes in raster order (frame, row, column); `coding` is verbatim or gamma.
Bytes encode_escapes(EscapeCoding coding, std::span<const EscapedPixel> esc, const TruncWindow& w);

// Reads `count` escapes one at a time, each given its pixel's previous value (known only as frames are
// rebuilt). Errc::corrupt when the bytes cannot be `count` escapes of this window.
class EscapeReader {
 public:
  EscapeReader(EscapeCoding coding, ByteSpan data, const TruncWindow& w, size_t count);
  uint16_t next(uint16_t prev);
  void finish() const;  // after `count` next() calls

 private:
  struct Bit {
    uint16_t p = 2048;  // P(0) in 1/4096
  };
  int bit(Bit& b);
  EscapeCoding coding_;
  ByteSpan data_;
  TruncWindow w_;
  size_t count_, done_ = 0;
  RangeDecoder dec_;
  Bit side_;
  std::array<std::array<Bit, 18>, 2> unary_{}, top_{};
};

}  // namespace srsfs::codec
