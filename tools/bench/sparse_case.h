// A sparse photon-counting case (Timepix-like uint32 frames, mostly zeros), generated deterministically:
// srsfs stores such TIFFs through its zstd fallback; this measures that against bitshuffle + LZ4 / zstd.
#pragma once
#include "tools/bench/report.h"

namespace srsfs::bench {

struct SparseOptions {
  uint32_t frames = 16, width = 512, height = 512;
  double hit_fraction = 0.03;  // share of pixels with a count
  uint64_t seed = 1;
};

Table run_sparse_case(const SparseOptions& opt);

}  // namespace srsfs::bench
