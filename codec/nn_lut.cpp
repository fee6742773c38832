#include "codec/nn_lut.h"

#include <algorithm>
#include <array>
#include <vector>

namespace srsfs::codec::nn {
namespace {

using u128 = unsigned __int128;
using i128 = __int128;
constexpr int kQ = 60;
constexpr u128 kOneQ60 = u128(1) << kQ;

// e^{-f} for 0 <= f <= 1 (Q60) by the alternating Taylor series; 1/30! is far below 2^-60.
uint64_t exp_neg_frac(uint64_t f) {
  i128 sum = i128(kOneQ60), term = i128(kOneQ60);
  for (int n = 1; n <= 30; ++n) {
    term = -((term * i128(f)) >> kQ) / n;
    sum += term;
  }
  return uint64_t(sum);
}

uint64_t mul_q60(uint64_t a, uint64_t b) { return uint64_t((u128(a) * b) >> kQ); }

// Table steps: sigmoid/tanh indexed in Q9 over [-8, 8]; exp indexed in Q8 over [0, kExpRange).
constexpr int kActShift = 3;  // Q12 -> Q9
constexpr int kActHalf = 8 << 9;
constexpr int kExpShift = 4;  // Q12 -> Q8
constexpr int kExpSize = kExpRange << 8;

int32_t to_q12(u128 q60) { return int32_t((q60 + (u128(1) << (kQ - 13))) >> (kQ - 12)); }

struct Tables {
  std::vector<int16_t> sigmoid, tanh_;
  std::vector<uint32_t> exp;
  Tables() : sigmoid(2 * kActHalf + 1), tanh_(2 * kActHalf + 1), exp(kExpSize) {
    for (int i = 0; i <= 2 * kActHalf; ++i) {
      int v = i - kActHalf;  // x = v / 512
      uint64_t a = uint64_t(v < 0 ? -v : v);
      uint64_t e1 = exp_neg_q60(a, 512);        // e^{-|x|}
      uint64_t e2 = exp_neg_q60(2 * a, 512);    // e^{-2|x|}
      u128 sp = (kOneQ60 << kQ) / (kOneQ60 + e1);  // sigmoid(|x|)
      u128 s = v < 0 ? kOneQ60 - sp : sp;
      sigmoid[size_t(i)] = int16_t(to_q12(s));
      int32_t t = to_q12(((kOneQ60 - e2) << kQ) / (kOneQ60 + e2));  // tanh(|x|)
      tanh_[size_t(i)] = int16_t(v < 0 ? -t : t);
    }
    for (int i = 0; i < kExpSize; ++i) {
      exp[size_t(i)] = uint32_t((u128(exp_neg_q60(uint64_t(i), 256)) + (u128(1) << (kQ - 31))) >> (kQ - 30));
    }
  }
};

const Tables& tables() {
  static const Tables t;  // thread-safe lazy init
  return t;
}

size_t act_index(int64_t x) {
  int64_t c = std::clamp<int64_t>(x, -(int64_t(kActHalf) << kActShift), (int64_t(kActHalf) << kActShift) - 1);
  return size_t((c + (int64_t(kActHalf) << kActShift) + (1 << (kActShift - 1))) >> kActShift);
}

}  // namespace

uint64_t exp_neg_q60(uint64_t num, uint64_t den) {
  uint64_t k = num / den;
  uint64_t frac = uint64_t((u128(num % den) << kQ) / den);
  uint64_t r = exp_neg_frac(frac);
  if (k == 0) return r;
  uint64_t e1 = exp_neg_frac(uint64_t(kOneQ60));
  for (uint64_t i = 0; i < k && r != 0; ++i) r = mul_q60(r, e1);
  return r;
}

const ActTables& act_tables() {
  static const ActTables t{tables().sigmoid.data(), tables().tanh_.data(), tables().exp.data()};
  return t;
}

int32_t sigmoid_q12(int64_t x) { return tables().sigmoid[act_index(x)]; }
int32_t tanh_q12(int64_t x) { return tables().tanh_[act_index(x)]; }

uint32_t exp_neg_q30(int64_t t) {
  int64_t i = (t + (1 << (kExpShift - 1))) >> kExpShift;
  if (i >= kExpSize) return 0;
  return tables().exp[size_t(i < 0 ? 0 : i)];
}

}  // namespace srsfs::codec::nn
