#include "tools/bench/bitshuffle.h"

#include "codec/bitshuffle.h"

#include <algorithm>
#include <cstring>

#include <lz4.h>
#include <zstd.h>

namespace srsfs::bench {
using codec::bitshuffle;
using codec::bitshuffle_block_elems;
using codec::bitunshuffle;

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
