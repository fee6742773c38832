// TIFF probing (libtiff + layout split) and layout records over arbitrary bytes: classify, never crash;
// anything classified gray16 must rebuild to exactly the input.
#include <cstdlib>
#include <cstring>

#include "codec/error.h"
#include "codec/tiff_layout.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  srsfs::ByteSpan in(data, size);
  auto probe = srsfs::codec::probe_tiff(in, "fuzz");
  if (probe.cls == srsfs::codec::TiffClass::gray16) {
    srsfs::Bytes back = srsfs::codec::rebuild_tiff(probe.layout, probe.frame);
    if (back.size() != size || std::memcmp(back.data(), data, size) != 0) std::abort();
  }
  try {
    srsfs::codec::parse_layout(in);
  } catch (const srsfs::Error&) {
  }
  return 0;
}
