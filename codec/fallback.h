// The generic lossless path for every file the frame codec does not take: zstd of the whole file.
#pragma once
#include "codec/bytes.h"

namespace srsfs::codec {

Bytes fallback_compress(ByteSpan data, int level = 9);
// Untrusted input: decompresses to exactly `expected_size` bytes or throws Errc::corrupt.
Bytes fallback_decompress(ByteSpan blob, uint64_t expected_size);
// Untrusted input whose size is recorded only in the zstd frame: at most max_size bytes, else Errc::corrupt.
Bytes zstd_decompress_bounded(ByteSpan blob, uint64_t max_size);

}  // namespace srsfs::codec
