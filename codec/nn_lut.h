// Fixed-point activation tables for the integer FC/LSTM/GRU inference (codec/nn_int.h).
// Built with integer arithmetic only (128-bit fixed-point Taylor series, no libm, no floating point), so
// every compiler, CPU and libm produces the same tables and the same probabilities.
#pragma once
#include <cstdint>

namespace srsfs::codec::nn {

inline constexpr int kFrac = 12;              // activations and pre-activations are Q12
inline constexpr int32_t kOne = 1 << kFrac;   // 1.0 in Q12

// sigmoid / tanh of a Q12 pre-activation, result Q12. Inputs are clamped to [-8, 8).
int32_t sigmoid_q12(int64_t x);
int32_t tanh_q12(int64_t x);

// exp(-t) for a Q12 t >= 0, result Q30 (exp(0) = 2^30); 0 once t >= kExpRange.
inline constexpr int kExpRange = 24;
uint32_t exp_neg_q30(int64_t t);

// The tables themselves, for hot loops (same values as the functions above):
//   sigmoid/tanh: index = (clamp(x, -32768, 32767) + 32768 + 4) >> 3, 8193 entries;
//   exp: index = (t + 8) >> 4, kExpRange * 256 entries, 0 beyond.
struct ActTables {
  const int16_t* sigmoid;
  const int16_t* tanh;
  const uint32_t* exp;
};
const ActTables& act_tables();
inline constexpr int64_t kExpTableSize = int64_t(kExpRange) << 8;
inline int32_t act_lookup(const int16_t* table, int64_t x) {
  int64_t c = x < -32768 ? -32768 : x > 32767 ? 32767 : x;
  return table[(c + 32768 + 4) >> 3];
}
inline uint32_t exp_lookup(const uint32_t* table, int64_t t) {
  int64_t i = (t + 8) >> 4;
  return i >= kExpTableSize ? 0 : table[i < 0 ? 0 : i];
}

// Exact reference values used to build the tables (exposed for tests): e^{-num/den} in Q60.
uint64_t exp_neg_q60(uint64_t num, uint64_t den);

}  // namespace srsfs::codec::nn
