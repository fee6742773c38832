// The paper modes cost seconds per Mpx, so by default they run on a capped subset of a scan: its first
// frames (at least 16, for the temporal context), centre-cropped so that the subset has at most
// `max_pixels` pixels. srsfs lms runs on the same subset for a like-for-like comparison.
#pragma once
#include <string>
#include <vector>

#include "codec/frame.h"
#include "tools/bench/noise_floor.h"

namespace srsfs::bench {

struct Subset {
  std::vector<codec::Frame16> frames;
  Crop crop;
  bool whole = true;  // every frame, uncropped: the subset is the dataset itself
  std::string desc;
};

Subset choose_subset(const std::vector<codec::Frame16>& frames, uint64_t max_pixels);

}  // namespace srsfs::bench
