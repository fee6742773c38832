// Runs one codec over a sequence of frames: encode everything (timed), decode everything (timed), compare
// bit for bit, and fill a report Row.
#pragma once
#include <vector>

#include "codec/block_codec.h"
#include "codec/frame.h"
#include "codec/tiff_layout.h"
#include "tools/bench/report.h"
#include "tools/bench/stock_codecs.h"

namespace srsfs::bench {

// A stock codec, frame by frame on one thread (each frame's predecessor is passed for temporal codecs).
Row measure_stock(const StockCodec& codec, const std::vector<codec::Frame16>& frames);

// srsfs's scan path: plan_geometry → (training for the paper modes) → make_block_codec → encode_blocks with
// `threads`, then every block decoded with decode_block on `threads` threads and compared. Size = blocks +
// model + serialize_layout of each layout (when `layouts` is given) + kSrsfsHeaderEstimate.
Row measure_srsfs(codec::ModelKind kind, const std::vector<codec::Frame16>& frames,
                  const std::vector<codec::TiffLayout>* layouts, unsigned threads);

// Per scan: header, geometry, model reference; per block: size and XXH3-64; per file: size and XXH3-64
// (names not counted).
inline constexpr uint64_t kScanHeaderEstimate = 64, kBlockIndexEstimate = 16, kFileRecordEstimate = 16;

// Whether this build can train the paper modes (LibTorch).
bool paper_modes_available();

}  // namespace srsfs::bench
