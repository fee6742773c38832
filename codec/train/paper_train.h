// Training of the paper's FC / LSTM / GRU symbol predictors with LibTorch, then quantisation to the integer
// model that codec/nn_int.h runs. LibTorch is used here only; the codec never sees a float weight.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/block_codec.h"
#include "codec/nn_int.h"

namespace srsfs::codec {

struct PaperTrainOptions {
  ModelKind kind = ModelKind::lstm;
  int context = 8;                 // K previous symbols of the same pixel
  double escape_fraction = 0.02;   // epsilon: share of differences allowed outside the window
  int max_alphabet = 1024;         // cap on hi - lo + 2 (softmax cost per pixel grows with it)
  int hidden = 32;
  int epochs = 6;
  int batch = 256;
  double learning_rate = 3e-3;
  uint64_t seed = 1;
  int threads = 2;                 // torch::set_num_threads; with a fixed value training is reproducible
  size_t max_samples = 1u << 16;   // the paper trains on one frame's worth of pixels
  EscapeCoding escape = EscapeCoding::smallest;
};

struct PaperTrainReport {
  TruncWindow window;
  size_t train_samples = 0, eval_samples = 0;
  size_t params = 0, param_bytes = 0;  // weights and biases; serialised model size
  double float_bits = 0;  // mean ideal code length per symbol of the eval samples, float model
  double int_bits = 0;    // the same with the quantised integer model (what the coder achieves)
  double seconds = 0;
};

// `sequences`: runs of consecutive frames of the scan (e.g. a few whole frames, or blocks); differences are
// taken within each run only, so a run needs >= 2 frames to contribute. The window [lo, hi] is chosen from
// every difference in them; training uses at most max_samples randomly chosen pixels (with their contexts
// padded like a block's first frames). `eval`, when non-empty, is where the report measures code lengths
// (all of its symbols, up to max_samples); otherwise a disjoint random sample of `sequences`.
PaperNet train_paper_net(const std::vector<BlockView>& sequences, const PaperTrainOptions& opt,
                         PaperTrainReport* report = nullptr, const std::vector<BlockView>& eval = {});

// The scan model: kind + serialize_paper_net of the trained net.
ScanModel train_paper_model(const std::vector<BlockView>& sequences, const PaperTrainOptions& opt,
                            PaperTrainReport* report = nullptr);

}  // namespace srsfs::codec
