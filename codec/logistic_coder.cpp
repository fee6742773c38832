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

// The coding window for one value: bins q = value >> k in [q_lo, q_hi], plus an escape symbol.
struct Window {
  unsigned k;
  int32_t q_lo, q_hi, qc;
  uint32_t span;  // kTotal - W - 1: mass shared by the distribution, the rest is one unit per symbol
  int64_t mu16;
  int64_t recip;  // (2^32 - 1) / s16: z*256 = ((boundary16 - mu16) * recip) >> 24
  int64_t g_lo;

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
    int32_t lo = w.q_lo, hi = w.q_hi;  // largest q with cum(q) <= t
    while (lo < hi) {
      int32_t mid = (lo + hi + 1) >> 1;
      if (w.cum(mid) <= t) lo = mid; else hi = mid - 1;
    }
    uint32_t c0 = w.cum(lo), c1 = w.cum(lo + 1);
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
