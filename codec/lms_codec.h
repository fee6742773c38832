// The default coding mode ("lms"): per block, least-squares linear prediction from the same pixel in up to
// four previous frames of the block, the previous frame's spatial neighbourhood and the current frame's
// causal neighbours (temporal change at W, N, NW, NE, WW, NN), with a spatial predictor for the block's key
// frame; residuals coded with an adaptive-scale discretised logistic (codec/logistic_coder.h). The
// weights are fitted by the encoder and carried in the block in Q12, so decoding is integer-only.
#pragma once
#include <cstdint>
#include <memory>

#include "codec/block_codec.h"

namespace srsfs::codec {

Bytes encode_lms_block(const BlockView& block);
// Decodes frames [0, frames) of the block (all of them by default); `out` has the whole block's shape.
void decode_lms_block(ByteSpan data, const MutableBlockView& out, uint32_t frames = UINT32_MAX);
std::unique_ptr<BlockCodec> make_lms_block_codec();

}  // namespace srsfs::codec
