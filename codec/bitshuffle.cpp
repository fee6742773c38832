#include "codec/bitshuffle.h"

#include <cstring>

#include "codec/error.h"

namespace srsfs::codec {
namespace {

// Transposes an 8×8 bit matrix held one row per byte: bit k of byte i <-> bit i of byte k (Hacker's Delight
// 7-3). It is its own inverse.
inline uint64_t transpose8x8(uint64_t x) {
  uint64_t t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAull;
  x ^= t ^ (t << 7);
  t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCull;
  x ^= t ^ (t << 14);
  t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ull;
  x ^= t ^ (t << 28);
  return x;
}

// One block of n elements (n % 8 == 0). forward: element-major -> plane-major; else the inverse.
void transpose_block(const uint8_t* in, uint8_t* out, size_t n, size_t es, bool forward) {
  const size_t plane = n / 8;  // bytes per bit plane
  for (size_t g = 0; g < plane; ++g) {
    for (size_t j = 0; j < es; ++j) {
      uint64_t x = 0;
      for (size_t i = 0; i < 8; ++i) {
        uint8_t v = forward ? in[(8 * g + i) * es + j] : in[(8 * j + i) * plane + g];
        x |= uint64_t(v) << (8 * i);
      }
      x = transpose8x8(x);
      for (size_t b = 0; b < 8; ++b) {
        uint8_t v = uint8_t(x >> (8 * b));
        if (forward)
          out[(8 * j + b) * plane + g] = v;
        else
          out[(8 * g + b) * es + j] = v;
      }
    }
  }
}

// Calls fn(offset_elems, n_elems) for each transposed block; returns the elements left over (< 8).
template <typename Fn>
size_t for_each_block(size_t elems, size_t es, Fn&& fn) {
  const size_t be = bitshuffle_block_elems(es);
  size_t off = 0;
  for (; elems - off >= be; off += be) fn(off, be);
  size_t last = (elems - off) & ~size_t(7);
  if (last) fn(off, last);
  return elems - off - last;
}

Bytes transpose_all(ByteSpan in, size_t es, bool forward) {
  if (es == 0 || in.size() % es) fail(Errc::invalid_argument, "bitshuffle: {} bytes is not a whole number of {}-byte elements", in.size(), es);
  Bytes out(in.size());
  size_t elems = in.size() / es;
  size_t rest = for_each_block(elems, es, [&](size_t off, size_t n) {
    transpose_block(in.data() + off * es, out.data() + off * es, n, es, forward);
  });
  std::memcpy(out.data() + (elems - rest) * es, in.data() + (elems - rest) * es, rest * es);
  return out;
}

}  // namespace

Bytes bitshuffle(ByteSpan in, size_t es) { return transpose_all(in, es, true); }
Bytes bitunshuffle(ByteSpan in, size_t es) { return transpose_all(in, es, false); }

}  // namespace srsfs::codec
