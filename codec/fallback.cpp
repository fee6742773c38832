#include "codec/fallback.h"

#include <zstd.h>

#include "codec/error.h"

namespace srsfs::codec {

Bytes fallback_compress(ByteSpan data, int level) {
  Bytes out(ZSTD_compressBound(data.size()));
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  if (ZSTD_isError(n)) fail(Errc::internal, "zstd: {}", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

Bytes fallback_decompress(ByteSpan blob, uint64_t expected_size) {
  unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size != expected_size)
    fail(Errc::corrupt, "fallback blob: bad zstd frame header (size {} expected {})", size, expected_size);
  Bytes out(static_cast<size_t>(expected_size));
  size_t n = ZSTD_decompress(out.data(), out.size(), blob.data(), blob.size());
  if (ZSTD_isError(n) || n != expected_size) fail(Errc::corrupt, "fallback blob: {}", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
  return out;
}

Bytes zstd_decompress_bounded(ByteSpan blob, uint64_t max_size) {
  unsigned long long size = ZSTD_getFrameContentSize(blob.data(), blob.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size)
    fail(Errc::corrupt, "zstd data: bad or oversized frame header");
  return fallback_decompress(blob, size);
}

}  // namespace srsfs::codec
