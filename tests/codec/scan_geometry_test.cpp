#include <gtest/gtest.h>

#include "codec/error.h"
#include "codec/scan_codec.h"

namespace srsfs::codec {
namespace {

// The automatic geometry decides how much of a scan decodes in parallel and what a cold read costs; these
// are the shapes the benchmarks and the docs talk about.
TEST(ScanGeometry, AutomaticSizesKeepEveryCoreBusyAndGroupsNearTheirPixelBudget) {
  struct Case {
    uint32_t w, h, frames, bands, group_frames;
  };
  for (const Case& c : {Case{160, 135, 46, 4, 46},      // small binned scan: 4 bands even though it is narrow
                        Case{1028, 512, 72, 5, 63},     // Eiger 500k: ~128 K-pixel bands, ~32 Mpx groups
                        Case{2048, 2048, 2000, 32, 16},  // 2k tomography: 64-row bands, 16-frame groups
                        Case{26, 22, 1501, 1, 256},     // too few rows to split; the longest groups
                        Case{64, 100, 10, 1, 10}}) {    // under 128 rows: one band; a group never exceeds the scan
    SCOPED_TRACE(testing::Message() << c.w << "x" << c.h << "x" << c.frames);
    const ScanGeometry g = plan_geometry(c.w, c.h, c.frames, CodecParams{});
    EXPECT_EQ(g.bands(), c.bands);
    EXPECT_EQ(g.group_frames, c.group_frames);
    EXPECT_GE(g.band_rows, std::min(32u, c.h));
    EXPECT_NO_THROW(g.validate());
  }
  CodecParams fixed;
  fixed.band_rows = 16;
  fixed.group_frames = 3;
  const ScanGeometry g = plan_geometry(160, 135, 46, fixed);
  EXPECT_EQ(g.band_rows, 16u);
  EXPECT_EQ(g.group_frames, 3u);
}

}  // namespace
}  // namespace srsfs::codec
