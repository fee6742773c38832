// Bit transposition as in the bitshuffle library (Masui et al. 2015), which Debian does not package: within
// a block of 8·k elements of `elem_size` bytes, bit b of byte j of every element goes to bit plane 8·j + b,
// each plane holding one bit per element. Sparse and low-entropy integers (photon-counting detectors) turn
// into long runs of zero bytes that zstd then finds. Elements past the last whole group of 8 are copied.
#pragma once
#include <cstddef>

#include "codec/bytes.h"

namespace srsfs::codec {

// Elements per transposed block: bitshuffle's default block of 8 KiB.
inline size_t bitshuffle_block_elems(size_t elem_size) { return (8192 / elem_size) & ~size_t(7); }

// Transposes `in` (a whole number of elements) block by block; the output has the same size.
Bytes bitshuffle(ByteSpan in, size_t elem_size);
Bytes bitunshuffle(ByteSpan in, size_t elem_size);

}  // namespace srsfs::codec
