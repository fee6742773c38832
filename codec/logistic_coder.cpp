#include "codec/logistic_coder.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

#include "codec/det_math.h"

namespace srsfs::codec {
namespace {

constexpr unsigned kTotalBits = 16;
constexpr uint32_t kTotal = 1u << kTotalBits;
// Sigmoid table over z in [-12, 12] at steps of 1/256, values in Q24.
constexpr int kZSteps = 256, kZRange = 12, kZCentre = kZRange * kZSteps, kTableSize = 2 * kZCentre + 1;
constexpr unsigned kSigBits = 24;

struct SigmoidTable {
  std::array<uint32_t, kTableSize> v{};
  SigmoidTable() {
    for (int i = 0; i < kTableSize; ++i) {
      double z = double(i - kZCentre) / kZSteps;
      v[i] = uint32_t(det::sigmoid(z) * double(1u << kSigBits) + 0.5);
    }
    v[0] = 0;  // the far tails carry no mass: the window plus escape covers them
    v[kTableSize - 1] = 1u << kSigBits;
  }
};
const SigmoidTable& table() {
  static const SigmoidTable t;
  return t;
}

// For each sigmoid value v·2^12 (Q24), the smallest table index whose sigmoid reaches it: the decoder's
// first guess. Only a guess, so exactness across machines does not matter here.
const std::array<int16_t, 4096>& inverse_sigmoid() {
  static const std::array<int16_t, 4096> inv = [] {
    std::array<int16_t, 4096> a{};
    const auto& v = table().v;
    size_t i = 0;
    for (size_t j = 0; j < a.size(); ++j) {
      while (i + 1 < v.size() && v[i] < (uint32_t(j) << 12)) ++i;
      a[j] = int16_t(i);
    }
    return a;
  }();
  return inv;
}

// The coding window for one value: bins q = value >> k in [q_lo, q_hi], plus an escape symbol.
struct Window {
  unsigned k;
  int32_t q_lo, q_hi, qc;
  uint32_t span;  // kTotal - W - 1: mass shared by the distribution, the rest is one unit per symbol
  int64_t mu16;
  int64_t recip;  // (2^32 - 1) / s16: z*256 = ((boundary16 - mu16) * recip) >> 24
  int64_t g_lo;
  int32_t s16_;

  Window(int32_t mu, int32_t s16) {
    s16 = std::clamp(s16, kMinScale16, int32_t(1) << 20);
    // Bins of 2^k grey levels with a scale below 8 bins: the smallest k with (s16 >> k) < 128.
    k = unsigned(std::max(0, int(std::bit_width(uint32_t(s16))) - 7));
    const int32_t qmax = 65535 >> k;
    mu16 = std::clamp<int64_t>(mu, -16, int64_t(65536) * 16);
    qc = int32_t(std::clamp<int64_t>(mu16 >> (4 + k), 0, qmax));
    int32_t hw = std::max(2, ((12 * s16) >> k) / 16 + 1);
    q_lo = std::max(0, qc - hw);
    q_hi = std::min(qmax, qc + hw);
    span = kTotal - uint32_t(q_hi - q_lo + 1) - 1;
    s16_ = s16;
    recip = int64_t(0xFFFFFFFFu / uint32_t(s16));  // a 32-bit division: twice as fast as a 64-bit one
    g_lo = g(q_lo);
  }
  // Scaled CDF at the lower boundary of bin q (grey level q*2^k - 0.5).
  int64_t g(int32_t q) const {
    int64_t b16 = (int64_t(q) << (k + 4)) - 8;
    int64_t z = ((b16 - mu16) * recip) >> 24;  // z in 1/256 units of the scale
    int64_t i = std::clamp<int64_t>(z + kZCentre, 0, kTableSize - 1);
    return (int64_t(table().v[size_t(i)]) * span) >> kSigBits;
  }
  uint32_t cum(int32_t q) const { return uint32_t(g(q) - g_lo + (q - q_lo)); }
  // A bin near the one holding cumulative position t (t < cum(q_hi + 1)), from the inverse sigmoid.
  int32_t guess(uint32_t t) const {
    const int64_t u = int64_t(t) + g_lo;                          // the scaled CDF value sought
    const int64_t sig = (u << 8) + ((u * (kTotal - span)) >> 8);  // ≈ u · 2^24 / span
    const int64_t z = inverse_sigmoid()[size_t(std::clamp<int64_t>(sig >> 12, 0, 4095))] - kZCentre;
    const int64_t b16 = mu16 + ((z * int64_t(s16_)) >> 8);          // the boundary where the CDF reaches u
    return int32_t(std::clamp<int64_t>((b16 + 8) >> (k + 4), q_lo, q_hi));
  }
};

}  // namespace

void encode_logistic(RangeEncoder& enc, uint32_t value, int32_t mu16, int32_t s16) {
  Window w(mu16, s16);
  const int32_t q = int32_t(value >> w.k);
  if (q >= w.q_lo && q <= w.q_hi) {
    uint32_t c0 = w.cum(q), c1 = w.cum(q + 1);
    enc.encode(c0, c1 - c0, kTotalBits);
  } else {
    uint32_t ce = w.cum(w.q_hi + 1);
    enc.encode(ce, kTotal - ce, kTotalBits);
    enc.encode_bits(uint32_t(q), 16 - w.k);
  }
  if (w.k) enc.encode_bits(value & ((1u << w.k) - 1), w.k);
}

uint32_t decode_logistic(RangeDecoder& dec, int32_t mu16, int32_t s16) {
  Window w(mu16, s16);
  const uint32_t t = dec.decode_freq(kTotalBits);
  const uint32_t ce = w.cum(w.q_hi + 1);
  uint32_t q;
  if (t >= ce) {
    dec.decode_update(ce, kTotal - ce);
    q = dec.decode_bits(16 - w.k);
  } else {
    // The symbol is the largest q with cum(q) <= t. Guess it by inverting the CDF (the guess need not be
    // exact, only close), then step to it with exact comparisons: ~3 CDF evaluations instead of ~8.
    int32_t lo = w.guess(t);
    uint32_t c0 = w.cum(lo), c1;
    while (c0 > t) c0 = w.cum(--lo);
    while ((c1 = w.cum(lo + 1)) <= t) {
      ++lo;
      c0 = c1;
    }
    dec.decode_update(c0, c1 - c0);
    q = uint32_t(lo);
  }
  uint32_t low = w.k ? dec.decode_bits(w.k) : 0;
  return (q << w.k) | low;
}

double logistic_code_length(uint32_t value, int32_t mu16, int32_t s16) {
  Window w(mu16, s16);
  const int32_t q = int32_t(value >> w.k);
  double bits = w.k;
  if (q >= w.q_lo && q <= w.q_hi) {
    bits += kTotalBits - std::log2(double(w.cum(q + 1) - w.cum(q)));
  } else {
    bits += kTotalBits - std::log2(double(kTotal - w.cum(w.q_hi + 1))) + (16 - w.k);
  }
  return bits;
}

}  // namespace srsfs::codec
