// Random numbers for the synthetic scan generator. std:: distributions are implementation-defined, so the
// generators and samplers here are our own: the same seed gives the same frames on every standard library.
#pragma once
#include <cmath>
#include <cstdint>

namespace srsfs::codec::synth {

// splitmix64: seeds other generators and hashes (seed, frame, row) into independent streams.
inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t s = a ^ (b * 0xD1B54A32D192ED03ull);
  return splitmix64(s);
}

// xoshiro256** (Blackman & Vigna) with Marsaglia's polar normal and a Poisson sampler.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& w : s_) w = splitmix64(seed);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  uint32_t below(uint32_t n) { return uint32_t((next() >> 32) * n >> 32); }

  // Standard normal (polar method; the second value of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2 * uniform() - 1;
      v = 2 * uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    const double f = std::sqrt(-2 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

  // Exact Poisson by inversion for small means (the expected number of steps is the mean).
  uint32_t poisson_small(double mean) {
    double p = std::exp(-mean), cdf = p, u = uniform();
    uint32_t k = 0;
    while (u > cdf && k < 100000) {
      ++k;
      p *= mean / k;
      cdf += p;
      if (p == 0) break;  // the tail is below double precision
    }
    return k;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace srsfs::codec::synth
