// Hand-made quantised paper models for tests that must not need LibTorch.
#pragma once
#include <cstdint>
#include <random>

#include "codec/nn_int.h"

namespace srsfs::codec::test {

// A random but valid net: weights uniform in +-wmax (scaled down per row to respect the overflow bound),
// a bias that favours small differences so the distribution is peaked like a trained one.
inline PaperNet random_paper_net(ModelKind kind, TruncWindow w, int context = 8, int hidden = 16,
                                 uint64_t seed = 1, EscapeCoding esc = EscapeCoding::smallest) {
  PaperNet net;
  net.kind = kind;
  net.context = context;
  net.window = w;
  net.hidden = hidden;
  net.escape = esc;
  std::mt19937_64 rng(seed);
  const int A = w.alphabet(), H = hidden;
  auto layer = [&](int rows, int cols, uint8_t shift, int wmax) {
    NnLayer l;
    l.rows = rows;
    l.cols = cols;
    l.shift = shift;
    for (int i = 0; i < rows * cols; ++i) l.w.push_back(int16_t(int(rng() % uint64_t(2 * wmax + 1)) - wmax));
    for (int i = 0; i < rows; ++i) l.b.push_back(int32_t(int(rng() % 2001) - 1000) << shift);
    return l;
  };
  if (kind == ModelKind::fc) {
    net.layers = {layer(H, context, 12, 4000), layer(H, H, 12, 900), layer(A, H, 12, 900)};
  } else {
    int g = kind == ModelKind::lstm ? 4 : 3;
    net.layers = {layer(g * H, 1 + H, 12, 8000), layer(A, H, 12, 8000)};
    if (kind == ModelKind::gru)
      for (int i = 0; i < H; ++i) net.b_hn.push_back(int32_t(int(rng() % 2001) - 1000) << 12);
  }
  // Peak the output at d = 0 and decay with |d|, as a trained model would.
  NnLayer& out = net.layers.back();
  for (int s = 0; s < A; ++s) {
    int d = s + w.lo;
    int32_t bias_q12 = -(std::abs(d) * 4096) / 2 + (s == w.escape() ? -4 * 4096 : 0);
    out.b[size_t(s)] = int32_t((int64_t(bias_q12) << out.shift) / 1);
  }
  return net;
}

}  // namespace srsfs::codec::test
