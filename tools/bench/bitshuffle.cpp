#include "tools/bench/bitshuffle.h"

#include <algorithm>
#include <cstring>

#include <lz4.h>
#include <zstd.h>

namespace srsfs::bench {
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

Bytes bitshuffle_lz4(ByteSpan in, size_t es) {
  Bytes shuffled = bitshuffle(in, es);
  Bytes out;
  out.reserve(in.size() / 2);
  const size_t be = bitshuffle_block_elems(es) * es;
  for (size_t off = 0; off < shuffled.size(); off += be) {
    int n = int(std::min(be, shuffled.size() - off));
    size_t at = out.size();
    out.resize(at + 4 + size_t(LZ4_compressBound(n)));
    int c = LZ4_compress_default(reinterpret_cast<const char*>(shuffled.data() + off),
                                 reinterpret_cast<char*>(out.data() + at + 4), n, LZ4_compressBound(n));
    if (c <= 0) fail(Errc::internal, "bitshuffle+lz4: LZ4_compress_default failed on a {}-byte block", n);
    out.resize(at + 4 + size_t(c));
    for (int i = 0; i < 4; ++i) out[at + size_t(i)] = uint8_t(uint32_t(c) >> (8 * i));
  }
  return out;
}

Bytes bitunshuffle_lz4(ByteSpan in, size_t es, size_t raw_size) {
  Bytes shuffled(raw_size);
  const size_t be = bitshuffle_block_elems(es) * es;
  ByteReader r(in, "bitshuffle+lz4 stream");
  for (size_t off = 0; off < raw_size; off += be) {
    int n = int(std::min(be, raw_size - off));
    uint32_t c = r.u32();
    ByteSpan block = r.bytes(c);
    int d = LZ4_decompress_safe(reinterpret_cast<const char*>(block.data()),
                                reinterpret_cast<char*>(shuffled.data() + off), int(c), n);
    if (d != n) fail(Errc::corrupt, "bitshuffle+lz4: block at {} decoded to {} bytes, expected {}", off, d, n);
  }
  r.expect_done();
  return bitunshuffle(shuffled, es);
}

Bytes bitshuffle_zstd(ByteSpan in, size_t es, int level) { return zstd_compress(bitshuffle(in, es), level); }
Bytes bitunshuffle_zstd(ByteSpan in, size_t es, size_t raw_size) {
  return bitunshuffle(zstd_decompress(in, raw_size), es);
}

Bytes zstd_compress(ByteSpan in, int level) {
  Bytes out(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
  if (ZSTD_isError(n)) fail(Errc::internal, "zstd level {}: {}", level, ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Bytes zstd_decompress(ByteSpan in, size_t raw_size) {
  Bytes out(raw_size);
  size_t n = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(n)) fail(Errc::corrupt, "zstd: {}", ZSTD_getErrorName(n));
  if (n != raw_size) fail(Errc::corrupt, "zstd: decoded {} bytes, expected {}", n, raw_size);
  return out;
}

}  // namespace srsfs::bench
