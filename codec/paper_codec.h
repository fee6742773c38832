// The paper's coding modes (Fu, Wang, Cheng, Chen, "Intelligent compression for synchrotron radiation source
// image"): frame difference -> truncated mapping -> FC / LSTM / GRU prediction of the symbol from the same
// pixel's K previous symbols -> range coding with the predicted distribution. Frame 0 of a block is a key
// frame. Payload layout: docs/format-paper-block.md.
#pragma once
#include <memory>

#include "codec/block_codec.h"
#include "codec/nn_int.h"

namespace srsfs::codec {

inline constexpr uint8_t kPaperBlockVersion = 1;

// model.kind in {fc, lstm, gru}; model.params from serialize_paper_net (validated: Errc::corrupt).
std::unique_ptr<BlockCodec> make_paper_block_codec(const ScanModel& model);

// The same codec from an already built net (tests, measurements).
std::unique_ptr<BlockCodec> make_paper_block_codec(const PaperNet& net);

// Ideal code length in bits of the block's symbols (frames 1..) under the integer model, and the number of
// symbols: a measurement aid (no escapes, no key frame).
struct PaperCodeLength {
  double bits = 0;
  size_t symbols = 0, escapes = 0;
};
PaperCodeLength paper_ideal_code_length(const PaperNet& net, const BlockView& block);

}  // namespace srsfs::codec
