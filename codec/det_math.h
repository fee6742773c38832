// Deterministic transcendental functions for building probability tables. libm's exp/log may differ in the
// last bit between versions and CPUs; a table entry that differs by one unit between encoder and decoder
// machines would corrupt every archive. These use only IEEE-754 + - * / in a fixed order (exactly rounded
// on every conforming machine; the build uses -std=c++20, so no FMA contraction), so every machine computes
// the same bits.
#pragma once

namespace srsfs::codec::det {

// e^x for |x| <= 64: exp(x) = exp(x / 64)^64, exp(y) for |y| <= 1 by a 24-term Taylor series.
constexpr double exp(double x) {
  double y = x / 64.0;
  double term = 1.0, sum = 1.0;
  for (int i = 1; i <= 24; ++i) {
    term = term * y / double(i);
    sum = sum + term;
  }
  for (int i = 0; i < 6; ++i) sum = sum * sum;  // ^64
  return sum;
}

constexpr double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

}  // namespace srsfs::codec::det
