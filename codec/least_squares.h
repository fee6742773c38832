// Ridge-regularised least squares for the encoder's per-block predictor weights. Only the encoder runs
// it; the weights travel in the block quantised to Q12, so its floating point needs no determinism.
#pragma once
#include <array>
#include <cstdint>

namespace srsfs::codec {

template <int N>
class LeastSquares {
 public:
  void add(const int32_t* f, int32_t target) {
    double x[N];
    for (int i = 0; i < N; ++i) x[i] = f[i];
    for (int i = 0; i < N; ++i) {
      for (int j = 0; j <= i; ++j) ata_[i][j] += x[i] * x[j];
      atb_[i] += x[i] * target;
    }
    ++n_;
  }
  // Weights in Q12, clamped to int16.
  std::array<int16_t, N> solve_q12() const;

 private:
  double ata_[N][N] = {};
  double atb_[N] = {};
  long n_ = 0;
};

template <int N>
std::array<int16_t, N> LeastSquares<N>::solve_q12() const {
  std::array<int16_t, N> out{};
  if (n_ == 0) return out;
  double a[N][N], b[N];
  double trace = 0;
  for (int i = 0; i < N; ++i) trace += ata_[i][i];
  const double ridge = 1e-4 * trace / N + 1e-3;
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j <= i; ++j) a[i][j] = a[j][i] = ata_[i][j];
    a[i][i] += ridge;
    b[i] = atb_[i];
  }
  // Cholesky: a = L L^T, stored in the lower triangle.
  for (int j = 0; j < N; ++j) {
    double d = a[j][j];
    for (int k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    if (d <= 0) return out;  // degenerate: predict with the base alone
    d = __builtin_sqrt(d);
    a[j][j] = d;
    for (int i = j + 1; i < N; ++i) {
      double s = a[i][j];
      for (int k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / d;
    }
  }
  double y[N], w[N];
  for (int i = 0; i < N; ++i) {
    double s = b[i];
    for (int k = 0; k < i; ++k) s -= a[i][k] * y[k];
    y[i] = s / a[i][i];
  }
  for (int i = N - 1; i >= 0; --i) {
    double s = y[i];
    for (int k = i + 1; k < N; ++k) s -= a[k][i] * w[k];
    w[i] = s / a[i][i];
  }
  for (int i = 0; i < N; ++i) {
    double q = w[i] * 4096.0;
    q = q > 32767 ? 32767 : (q < -32768 ? -32768 : q);
    out[size_t(i)] = int16_t(q >= 0 ? q + 0.5 : q - 0.5);
  }
  return out;
}

}  // namespace srsfs::codec
