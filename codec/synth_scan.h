// A physically modelled synthetic tomography scan, for tests and benchmarks at full frame size.
// Object: 10-30 ellipsoids (one body, inclusions inside and overlapping it) rotating about the vertical
// axis. Each frame is a parallel-beam Beer-Lambert projection (analytic chord lengths) under a smooth,
// non-uniform flat field with slow beam drift, recorded with Poisson photon noise, a dark offset and
// Gaussian read noise, rounded and clamped to uint16. Every row draws from its own random stream seeded by
// (seed, frame, row), so output depends on neither the thread count nor the order frames are made in.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "codec/frame.h"

namespace srsfs::codec {

struct SynthOptions {
  uint32_t width = 2048, height = 2048;
  uint32_t frames = 16;
  uint64_t seed = 1;
  double step_deg = 0.1;         // rotation between frames
  double flat = 20000;           // mean open-beam photon count
  double flat_variation = 0.15;  // smooth 2D variation of the flat field, +- this fraction
  double drift = 0.01;           // slow beam intensity drift over frames, +- this fraction
  double dark = 100;             // detector offset in counts
  double read_noise = 2;         // Gaussian read noise sigma in counts
  uint32_t rows_per_strip = 0;   // of the written TIFFs; 0 = one strip
  unsigned threads = 0;          // 0 = all hardware threads
};

class SynthScan {
 public:
  explicit SynthScan(const SynthOptions& options);  // throws Errc::invalid_argument on bad options
  ~SynthScan();
  SynthScan(SynthScan&&) noexcept;
  SynthScan& operator=(SynthScan&&) noexcept;

  const SynthOptions& options() const;
  size_t ellipsoid_count() const;
  // Recorded counts of frame `index` (any index; frames need not be made in order).
  Frame16 frame(uint32_t index) const;
  // Expected photon count (before dark, noise and rounding) of every pixel of frame `index`.
  std::vector<float> expected_photons(uint32_t index) const;
  // Mean over frame 0's pixels of the entropy of the recorded count given its true mean: the bits per
  // pixel no lossless coder can go below on this scan.
  double noise_floor_bits() const;

 private:
  struct Model;
  std::unique_ptr<Model> m_;
};

struct SynthSummary {
  uint32_t frames_written = 0;
  double noise_floor_bits = 0;
  double seconds = 0;
};

// Writes frame_00000.tif ... (little-endian uint16) and synth.json into `dir` (created if needed).
SynthSummary write_synth_scan(const std::filesystem::path& dir, const SynthOptions& options);

// synth.json's text: parameters, geometry and the noise floor.
std::string synth_json(const SynthOptions& options, size_t ellipsoids, double noise_floor_bits);

}  // namespace srsfs::codec
