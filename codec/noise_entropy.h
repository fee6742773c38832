// The information a lossless coder must spend on detector noise even when it knows every pixel's true
// mean: the entropy of the recorded count, round(Poisson(mean) + dark + Normal(0, read_sigma^2)).
#pragma once
#include <vector>

namespace srsfs::codec {

// Exact discrete entropy in bits (Poisson pmf convolved with the discretised Gaussian).
double count_entropy_exact_bits(double mean_photons, double read_sigma, double dark);

// Fast form for many pixels: a table of exact values below `exact_limit` photons (linear interpolation),
// the Gaussian limit 1/2 log2(2 pi e (mean + sigma^2 + 1/12)) above, where the two agree to about 1e-3 bits.
class NoiseEntropy {
 public:
  NoiseEntropy(double read_sigma, double dark, double exact_limit = 64);
  double bits(double mean_photons) const;

 private:
  double sigma2_, limit_, step_;
  std::vector<double> table_;
};

}  // namespace srsfs::codec
