// Bit transposition as in the bitshuffle library (Masui et al. 2015), which Debian does not package: within
// a block of 8·k elements of `elem_size` bytes, bit b of byte j of every element goes to bit plane 8·j + b,
// each plane holding one bit per element. Sparse and low-entropy integers turn into long runs of zero
// bytes that LZ4 and zstd then find. Elements past the last whole group of 8 are copied unchanged.
#pragma once
#include <cstddef>

#include "codec/bitshuffle.h"
#include "codec/bytes.h"

namespace srsfs::bench {

using codec::bitshuffle_block_elems;

// bitshuffle's "bslz4" container: each transposed block LZ4-compressed on its own, prefixed by its
// compressed size (4 bytes, big-endian in the original; little-endian here, the size is what matters).
Bytes bitshuffle_lz4(ByteSpan in, size_t elem_size);
Bytes bitunshuffle_lz4(ByteSpan in, size_t elem_size, size_t raw_size);

// The whole transposed buffer through one zstd call (bitshuffle's zstd filter works per block; one call over
// the frame is the favourable case for zstd, stated in the report).
Bytes bitshuffle_zstd(ByteSpan in, size_t elem_size, int level);
Bytes bitunshuffle_zstd(ByteSpan in, size_t elem_size, size_t raw_size);

// Plain compressors, shared by the stock-codec adapters and the sparse photon-counting case.
Bytes zstd_compress(ByteSpan in, int level);
Bytes zstd_decompress(ByteSpan in, size_t raw_size);

}  // namespace srsfs::bench
