// The noise floor: the entropy, in bits per pixel, of the detector noise alone, which no lossless coder can
// beat on average. "Bits above the floor" = a codec's bits/pixel − this.
//   - srsfs-admin synth scans: exact, from DIR/synth.json (noise_floor_bits_per_pixel).
//   - scans with sibling flats/ and darks/: estimated from a Poisson-Gaussian model σ² = gain·(μ − dark) +
//     read², fitted on the flats, evaluated per projection pixel with μ a smoothed estimate of its mean.
//   - otherwise none.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "codec/frame.h"

namespace srsfs::bench {

// Which part of each frame a measurement covered (the paper modes may run on a centre crop).
struct Crop {
  uint32_t x0 = 0, y0 = 0, width = 0, height = 0;
};

class NoiseFloor {
 public:
  // Looks at `dir` (the frames' directory) and its siblings; `max_frames` caps the flats/darks read too.
  static NoiseFloor for_dataset(const std::filesystem::path& dir);

  bool known() const { return known_; }
  const std::string& method() const { return method_; }
  // Mean noise entropy per pixel over `frames` (already cropped to `crop` of the original frames).
  std::optional<double> bits_per_pixel(const std::vector<codec::Frame16>& frames, const Crop& crop) const;

  double gain() const { return gain_; }
  double read_var() const { return read_var_; }

 private:
  bool known_ = false;
  bool exact_ = false;
  double exact_bits_ = 0;
  double gain_ = 0, read_var_ = 0;
  std::vector<double> dark_;  // per-pixel mean dark, full frame
  uint32_t width_ = 0, height_ = 0;
  std::string method_;
};

// Entropy in bits of round(N(μ, σ²)) (exact sum for small σ, the differential entropy for large σ).
double discrete_gaussian_entropy(double sigma);

}  // namespace srsfs::bench
