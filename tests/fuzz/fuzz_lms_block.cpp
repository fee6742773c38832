// The LMS block decoder over arbitrary bytes and a shape taken from the input's first bytes.
#include <vector>

#include "codec/error.h"
#include "codec/lms_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  uint32_t frames = 1 + data[0] % 6, rows = 1 + data[1] % 24, width = 1 + data[2] % 40;
  std::vector<uint16_t> out(size_t(frames) * rows * width);
  try {
    srsfs::codec::decode_lms_block(srsfs::ByteSpan(data + 3, size - 3), {out.data(), frames, rows, width});
  } catch (const srsfs::Error&) {
  }
  return 0;
}
