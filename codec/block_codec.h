// A block is `frames` consecutive frames × `rows` consecutive rows of one scan, coded on its own given the
// scan's model. Every coding mode (the default LMS mode, the paper's FC/LSTM/GRU modes) implements
// BlockCodec; the archive and the store hold the bytes it returns.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "codec/bytes.h"

namespace srsfs::codec {

enum class ModelKind : uint8_t { lms = 0, fc = 1, lstm = 2, gru = 3 };
const char* model_kind_name(ModelKind) noexcept;
std::optional<ModelKind> parse_model_kind(std::string_view) noexcept;

// Read-only pixels of a block: frame-major, then row-major, no padding.
struct BlockView {
  const uint16_t* px = nullptr;
  uint32_t frames = 0, rows = 0, width = 0;
  size_t frame_pixels() const { return size_t(rows) * width; }
  const uint16_t* frame(uint32_t f) const { return px + f * frame_pixels(); }
};

struct MutableBlockView {
  uint16_t* px = nullptr;
  uint32_t frames = 0, rows = 0, width = 0;
  size_t frame_pixels() const { return size_t(rows) * width; }
  uint16_t* frame(uint32_t f) const { return px + f * frame_pixels(); }
  BlockView view() const { return {px, frames, rows, width}; }
};

// What the encoder learnt once per scan and the decoder needs for every block. `params` is the model's
// serialised form (empty for the LMS mode, whose per-block weights travel inside each block).
struct ScanModel {
  ModelKind kind = ModelKind::lms;
  Bytes params;
};

class BlockCodec {
 public:
  virtual ~BlockCodec() = default;
  // Both are const and thread-safe: one codec serves every thread of a scan.
  virtual Bytes encode(const BlockView& block) const = 0;
  // `out` has the block's shape; throws Errc::corrupt when the bytes cannot be a block of that shape.
  virtual void decode(ByteSpan data, const MutableBlockView& out) const = 0;
  // Decodes only the first `frames` frames of the block into `out` (which still has the whole block's
  // shape): frames are coded in order, so a cold read of frame k need not decode the rest of its group.
  virtual void decode_prefix(ByteSpan data, const MutableBlockView& out, uint32_t frames) const {
    (void)frames;
    decode(data, out);
  }
};

// The codec for a scan's model (parses and validates the model parameters once).
std::unique_ptr<BlockCodec> make_block_codec(const ScanModel& model);

}  // namespace srsfs::codec
