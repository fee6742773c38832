#include "codec/fallback.h"

#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "codec/bitshuffle.h"
#include "codec/error.h"

namespace srsfs::codec {
namespace {

// Blob methods (first byte of a fallback blob).
constexpr uint8_t kZstd = 0;
// Bit transpose of 4-byte elements, then zstd: 32-bit photon-counting frames (mostly zeros) shrink ~20%
// further than with zstd alone. The bytes after the last whole element stay in place.
constexpr uint8_t kBitshuffle4Zstd = 1;
constexpr size_t kBitshuffleMinSize = 4096;
constexpr int kSparseLevel = 19;

Bytes zstd(ByteSpan data, int level, uint8_t method) {
  Bytes out(1 + ZSTD_compressBound(data.size()));
  out[0] = method;
  size_t n = ZSTD_compress(out.data() + 1, out.size() - 1, data.data(), data.size(), level);
  if (ZSTD_isError(n)) fail(Errc::internal, "zstd: {}", ZSTD_getErrorName(n));
  out.resize(1 + n);
  return out;
}

Bytes unzstd(ByteSpan blob, uint64_t expected_size) {
  unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size != expected_size)
    fail(Errc::corrupt, "fallback blob: bad zstd frame header (size {} expected {})", size, expected_size);
  Bytes out(static_cast<size_t>(expected_size));
  size_t n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
  if (ZSTD_isError(n) || n != expected_size)
    fail(Errc::corrupt, "fallback blob: {}", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
  return out;
}

Bytes shuffle4(ByteSpan data) {
  const size_t whole = data.size() & ~size_t(3);
  Bytes out = bitshuffle(data.first(whole), 4);
  out.insert(out.end(), data.begin() + long(whole), data.end());
  return out;
}

Bytes unshuffle4(ByteSpan data) {
  const size_t whole = data.size() & ~size_t(3);
  Bytes out = bitunshuffle(data.first(whole), 4);
  out.insert(out.end(), data.begin() + long(whole), data.end());
  return out;
}

}  // namespace

Bytes fallback_compress(ByteSpan data, int level) {
  Bytes best = zstd(data, level, kZstd);
  Bytes shuffled;
  if (data.size() >= kBitshuffleMinSize) {
    shuffled = shuffle4(data);
    Bytes blob = zstd(shuffled, level, kBitshuffle4Zstd);
    if (blob.size() < best.size()) best = std::move(blob);
  }
  // Data that shrinks 16x or more (sparse photon-counting frames) is also fast to compress at zstd's
  // strongest level (~40 MB/s measured), which takes another 10% off it.
  if (level < kSparseLevel && (best.size() - 1) * 16 < data.size()) {
    Bytes strong = best[0] == kZstd ? zstd(data, kSparseLevel, kZstd) : zstd(shuffled, kSparseLevel, kBitshuffle4Zstd);
    if (strong.size() < best.size()) best = std::move(strong);
  }
  return best;
}

Bytes fallback_decompress(ByteSpan blob, uint64_t expected_size) {
  if (blob.empty()) fail(Errc::corrupt, "fallback blob: empty");
  switch (blob[0]) {
    case kZstd: return unzstd(blob.subspan(1), expected_size);
    case kBitshuffle4Zstd: return unshuffle4(unzstd(blob.subspan(1), expected_size));
  }
  fail(Errc::corrupt, "fallback blob: unknown method {}", blob[0]);
}

Bytes zstd_compress_raw(ByteSpan data, int level) {
  Bytes b = zstd(data, level, kZstd);
  b.erase(b.begin());
  return b;
}

Bytes zstd_decompress_bounded(ByteSpan blob, uint64_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size)
    fail(Errc::corrupt, "zstd data: bad or oversized frame header");
  return unzstd(blob, size);
}

}  // namespace srsfs::codec
