// Scan-level coding: how a scan's frames are cut into blocks (groups of frames × bands of rows), and the
// parallel encoder and block decoder over them. Pixels reach the encoder through a RowSource so that a
// scan never has to sit in memory: at most `threads` blocks are held at once.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "codec/block_codec.h"

namespace srsfs::codec {

struct CodecParams {
  ModelKind model = ModelKind::lms;
  uint32_t group_frames = 0;  // frames per group (key frame interval); 0 = automatic
  uint32_t band_rows = 0;     // rows per band; 0 = automatic
  unsigned threads = 0;       // 0 = every core
  // Paper modes (fc/lstm/gru): context frames K and the escape fraction of the truncated mapping.
  int context = 8;
  double escape_fraction = 0.02;
};

struct ScanGeometry {
  uint32_t width = 0, height = 0, frames = 0;
  uint32_t group_frames = 1, band_rows = 1;

  uint32_t groups() const { return (frames + group_frames - 1) / group_frames; }
  uint32_t bands() const { return (height + band_rows - 1) / band_rows; }
  uint32_t block_count() const { return groups() * bands(); }
  uint32_t block_index(uint32_t group, uint32_t band) const { return group * bands() + band; }
  uint32_t group_of(uint32_t frame) const { return frame / group_frames; }
  // Shape of block (group, band): the last group and band may be short.
  uint32_t frames_in(uint32_t group) const;
  uint32_t rows_in(uint32_t band) const;
  void validate() const;  // throws Errc::corrupt on a geometry no encoder writes
};

// Resolves automatic group and band sizes. Small frames get long groups (a key frame costs much more than
// a predicted one); large frames get bands so blocks stay a few MB and decode in parallel.
ScanGeometry plan_geometry(uint32_t width, uint32_t height, uint32_t frames, const CodecParams& params);

// Fills `out` (nrows × width) with rows [row0, row0 + nrows) of frame `frame`. Called from several threads.
using RowSource = std::function<void(uint32_t frame, uint32_t row0, uint32_t nrows, uint16_t* out)>;

// Encodes every block (in parallel). blocks[i] is block i's bytes (ScanGeometry::block_index order).
std::vector<Bytes> encode_blocks(const ScanGeometry& geom, const BlockCodec& codec, const RowSource& source,
                                 unsigned threads);

// Decodes one block into `out` (resized to frames_in(group) × rows_in(band) × width); with `frames`, only
// the block's first `frames` frames are decoded (the rest of `out` is unspecified).
void decode_block(const ScanGeometry& geom, const BlockCodec& codec, uint32_t block_index, ByteSpan data,
                  std::vector<uint16_t>& out, uint32_t frames = UINT32_MAX);

unsigned resolve_threads(unsigned requested);

// Runs fn(i) for i in [0, n) on up to `threads` threads; rethrows the first exception.
void parallel_for(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

}  // namespace srsfs::codec
