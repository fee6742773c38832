// The paper-mode block decoder (fc, lstm, gru) over arbitrary bytes, with small fixed random models and a
// shape taken from the input's first bytes: throw srsfs::Error or decode, never crash or hang.
#include <memory>
#include <vector>

#include "codec/error.h"
#include "codec/paper_codec.h"
#include "tests/codec/paper_test_util.h"

namespace {
const srsfs::codec::BlockCodec& codec_for(uint8_t which) {
  using srsfs::codec::ModelKind;
  static const std::unique_ptr<srsfs::codec::BlockCodec> codecs[3] = {
      srsfs::codec::make_paper_block_codec(srsfs::codec::test::random_paper_net(ModelKind::fc, {-20, 20}, 4, 8)),
      srsfs::codec::make_paper_block_codec(srsfs::codec::test::random_paper_net(ModelKind::lstm, {-20, 20}, 4, 8)),
      srsfs::codec::make_paper_block_codec(srsfs::codec::test::random_paper_net(ModelKind::gru, {-20, 20}, 4, 8))};
  return *codecs[which % 3];
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t frames = 1 + data[1] % 5, rows = 1 + data[2] % 12, width = 1 + data[3] % 16;
  std::vector<uint16_t> out(size_t(frames) * rows * width);
  try {
    codec_for(data[0]).decode(srsfs::ByteSpan(data + 4, size - 4), {out.data(), frames, rows, width});
  } catch (const srsfs::Error&) {
  }
  return 0;
}
