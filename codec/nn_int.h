// Integer inference of the paper's FC / LSTM / GRU symbol predictors. Weights are int16 with a power-of-two
// scale per matrix, activations Q12 int16, dot products int32 (bounds checked when a model is parsed, so they
// cannot overflow), everything else int64, activations and exp from integer-built tables (codec/nn_lut.h).
// The result is a frequency table summing exactly to 2^16: encoder and decoder run this same code, so their
// probabilities agree bit for bit on every machine. No LibTorch here; codec/train/ produces these weights.
#pragma once
#include <cstdint>
#include <vector>

#include "codec/block_codec.h"
#include "codec/bytes.h"
#include "codec/paper_escape.h"
#include "codec/truncated_map.h"

namespace srsfs::codec {

inline constexpr unsigned kPaperFreqBits = 16;
inline constexpr uint8_t kPaperModelVersion = 1;
inline constexpr int kPaperMaxContext = 32;
inline constexpr int kPaperMaxHidden = 256;

// One matrix y = W x + b with W int16 scaled by 2^shift: y (Q12) = round((W x + b) / 2^shift).
// `b` is at Q(12 + shift). W is rows x cols, row-major.
struct NnLayer {
  int rows = 0, cols = 0;
  uint8_t shift = 0;
  std::vector<int16_t> w;
  std::vector<int32_t> b;
};

// The quantised model. Layers by kind:
//   fc:   [0] H x K (ReLU clamped to [0, 8)), [1] H x H (same), [2] A x H (logits)
//   lstm: [0] 4H x (1 + H), gates i, f, g, o, input then hidden columns; bias = b_ih + b_hh; [1] A x H
//   gru:  [0] 3H x (1 + H), gates r, z, n; bias = b_ih (+ b_hh for r, z); [1] A x H; b_hn: H biases of
//         the hidden part of n at layer 0's scale
struct PaperNet {
  ModelKind kind = ModelKind::fc;
  int context = 8;
  TruncWindow window;
  int hidden = 32;
  EscapeCoding escape = EscapeCoding::smallest;
  std::vector<NnLayer> layers;
  std::vector<int32_t> b_hn;

  int alphabet() const { return window.alphabet(); }
  size_t param_count() const;
};

// Serialised form (ScanModel::params), documented in docs/format-paper-block.md.
Bytes serialize_paper_net(const PaperNet& net);
// Untrusted bytes: Errc::corrupt on anything inconsistent (shapes, bounds that could overflow), allocations
// bounded by the declared shapes, which are bounded by the limits above.
PaperNet parse_paper_net(ByteSpan params, ModelKind expected_kind);
// Throws Errc::invalid_argument / corrupt (per `code`) unless the shapes and overflow bounds hold.
void validate_paper_net(const PaperNet& net, Errc code);

// Ready-to-run form: padded copies of the weights and scratch space. One per thread (not thread-safe).
class PaperPredictor {
 public:
  explicit PaperPredictor(const PaperNet& net);
  int alphabet() const { return alphabet_; }
  int context() const { return context_; }
  // Frequencies for the next symbol given the K previous symbols (oldest first). Each >= 1, sum 2^16.
  const uint16_t* predict(const uint16_t* ctx);
  // Logits (Q12) of the last predict(), for tests and measurements.
  const std::vector<int32_t>& logits() const { return logits_; }

 private:
  struct Mat {
    int rows = 0, cols = 0, rows_pad = 0;  // rows_pad: rows rounded up to a multiple of 16
    int shift = 0;
    // Column pairs: for pair q, row r: wt[(q * rows_pad + r) * 2 + {0, 1}] = W[r][2q + {0, 1}], zero padded
    // (the layout of SSE2 pmaddwd: 4 rows x 2 columns per instruction, no horizontal sums).
    std::vector<int16_t> wt;
    std::vector<int32_t> b;
  };
  static Mat pad(const NnLayer& l);
  void matvec(const Mat& m, const int16_t* x);  // W x into sum_
  void linear(const Mat& m, const int16_t* x, int32_t* out_q12);
  void to_freqs();

  ModelKind kind_;
  int context_, alphabet_, hidden_;
  std::vector<int16_t> input_q12_;  // per symbol
  std::vector<Mat> mats_;
  std::vector<int32_t> b_hn_;
  std::vector<int64_t> gx_;  // recurrent kinds: input column of the gate matrix
  Mat gh_;                   // recurrent kinds: hidden columns of the gate matrix
  std::vector<int16_t> x_, h_;       // padded activation vectors
  std::vector<int32_t> c_, pre_, tmp_;
  std::vector<int32_t> sum_;
  std::vector<int32_t> logits_;
  std::vector<uint32_t> e_;
  std::vector<uint16_t> freq_;
};

}  // namespace srsfs::codec
