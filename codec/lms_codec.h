// The default coding mode ("lms"): per block, least-squares linear prediction from the same pixel in up to
// eight previous frames of the block and their running mean, the previous frame's spatial neighbourhood and
// the current frame's causal neighbours (temporal change at W, N, NW, NE, WW, NN), with a spatial predictor
// for the block's key frame; since version 2 an adaptive filter over neighbouring residuals refines each
// prediction. Residuals are coded with an adaptive-scale discretised logistic (codec/logistic_coder.h). The
// weights are fitted by the encoder and carried in the block in Q12, so decoding is integer-only.
#pragma once
#include <cstdint>
#include <memory>

#include "codec/block_codec.h"

namespace srsfs::codec {

// Block versions (docs/format.md §4): `ls` is the first released one, kept so tests can prove that it still
// decodes; `cascade` adds a residual-correcting second stage and is what srsfs writes.
enum class LmsBlockVersion : uint8_t { ls = 1, cascade = 2 };

Bytes encode_lms_block(const BlockView& block, LmsBlockVersion version = LmsBlockVersion::cascade);
// Decodes frames [0, frames) of the block (all of them by default); `out` has the whole block's shape.
void decode_lms_block(ByteSpan data, const MutableBlockView& out, uint32_t frames = UINT32_MAX);
std::unique_ptr<BlockCodec> make_lms_block_codec();

}  // namespace srsfs::codec
