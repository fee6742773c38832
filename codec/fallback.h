// The generic lossless path for every file the frame codec does not take. A blob is one method byte and
// its payload: 0 = zstd of the file, 1 = zstd of the file bit-transposed in 4-byte elements (the encoder
// keeps whichever is smaller, and recompresses data that shrinks 16x or more at zstd's top level).
// docs/format.md §2.3.
#pragma once
#include "codec/bytes.h"

namespace srsfs::codec {

Bytes fallback_compress(ByteSpan data, int level = 9);
// Untrusted input: decompresses to exactly `expected_size` bytes or throws Errc::corrupt.
Bytes fallback_decompress(ByteSpan blob, uint64_t expected_size);

// A bare zstd frame (no method byte), for records such as the archive index.
Bytes zstd_compress_raw(ByteSpan data, int level);
// Untrusted bare zstd frame whose size is recorded only in the frame: at most max_size bytes, else corrupt.
Bytes zstd_decompress_bounded(ByteSpan blob, uint64_t max_size);

}  // namespace srsfs::codec
