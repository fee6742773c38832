// One srsfs-bench run: every directory measured with srsfs (lms, and the paper modes when built) and every
// stock codec on the same frames, then the sparse photon-counting case.
#pragma once
#include <string>
#include <vector>

#include "codec/block_codec.h"
#include "tools/bench/report.h"

namespace srsfs::bench {

struct BenchOptions {
  std::vector<std::string> dirs;
  unsigned threads = 2;
  std::vector<codec::ModelKind> modes{codec::ModelKind::lms, codec::ModelKind::fc, codec::ModelKind::lstm,
                                      codec::ModelKind::gru};
  std::vector<std::string> stock;  // stock codec keys; empty = all
  size_t max_frames = 0;           // 0 = every frame
  uint64_t paper_max_pixels = 2u << 20;
  bool sparse = true;
  std::string command;  // for the report
};

BenchResult run_bench(const BenchOptions& opt);

}  // namespace srsfs::bench
