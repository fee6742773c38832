#include "tools/bench/noise_floor.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <numbers>

#include <nlohmann/json.hpp>

#include "codec/error.h"
#include "tools/bench/dataset.h"

namespace srsfs::bench {
namespace fs = std::filesystem;

double discrete_gaussian_entropy(double sigma) {
  constexpr double kExactBelow = 3.0, kStep = 1e-3;  // above 3σ the two differ by < 1e-6 bit
  if (sigma >= kExactBelow) return 0.5 * std::log2(2 * std::numbers::pi * std::numbers::e * sigma * sigma);
  static const std::vector<double> table = [] {
    std::vector<double> t(size_t(kExactBelow / kStep) + 1);
    for (size_t i = 1; i < t.size(); ++i) {
      double s = double(i) * kStep, h = 0;
      int k_max = int(std::ceil(10 * s)) + 1;
      for (int k = -k_max; k <= k_max; ++k) {
        double p = 0.5 * (std::erfc((k - 0.5) / (s * std::numbers::sqrt2)) - std::erfc((k + 0.5) / (s * std::numbers::sqrt2)));
        if (p > 0) h -= p * std::log2(p);
      }
      t[i] = h;
    }
    return t;
  }();
  return table[size_t(std::lround(std::max(sigma, 0.0) / kStep))];
}

namespace {

// Robust variance estimate from a sample of squared deviations of `dof` degrees of freedom each: the median,
// rescaled by the median of χ²_dof / dof (Wilson–Hilferty), so that edges and hot pixels do not dominate.
double robust_variance(std::vector<double> v, double dof) {
  if (v.empty()) return 0;
  auto mid = v.begin() + ptrdiff_t(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  double med_ratio = dof >= 2 ? std::pow(1 - 2 / (9 * dof), 3) : 0.4549;
  return *mid / med_ratio;
}

struct PixelStats {
  std::vector<double> mean, var;  // per pixel; var < 0 where unusable (frame border in the spatial case)
  double dof = 1;
  std::string how;
};

// Temporal mean and variance with >= 2 frames; with one frame the mean is the pixel and the variance the
// squared residual of the 4-neighbour mean, /1.25 (its variance for white noise), which also counts any
// fine structure: an upper bound on the noise.
PixelStats pixel_stats(const std::vector<codec::Frame16>& frames) {
  PixelStats s;
  const uint32_t w = frames[0].width, h = frames[0].height;
  const size_t n = frames[0].pixel_count();
  s.mean.assign(n, 0);
  s.var.assign(n, -1);
  if (frames.size() >= 2) {
    s.dof = double(frames.size() - 1);
    s.how = fmt::format("per-pixel temporal variance over {} frames", frames.size());
    for (size_t i = 0; i < n; ++i) {
      double sum = 0, sq = 0;
      for (const auto& f : frames) sum += f.pixels[i];
      double m = sum / double(frames.size());
      for (const auto& f : frames) sq += (f.pixels[i] - m) * (f.pixels[i] - m);
      s.mean[i] = m;
      s.var[i] = sq / s.dof;
    }
    return s;
  }
  s.how = "1 frame only: spatial residual (x - mean of 4 neighbours)^2/1.25, an upper bound";
  const codec::Frame16& f = frames[0];
  for (size_t i = 0; i < n; ++i) s.mean[i] = f.pixels[i];
  for (uint32_t y = 1; y + 1 < h; ++y)
    for (uint32_t x = 1; x + 1 < w; ++x) {
      double r = f.at(y, x) - 0.25 * (double(f.at(y, x - 1)) + f.at(y, x + 1) + f.at(y - 1, x) + f.at(y + 1, x));
      s.var[size_t(y) * w + x] = r * r / 1.25;
    }
  return s;
}

}  // namespace

NoiseFloor NoiseFloor::for_dataset(const fs::path& dir) {
  NoiseFloor nf;
  fs::path synth = dir / "synth.json";
  std::error_code ec;
  if (fs::exists(synth, ec)) {
    std::ifstream in(synth);
    nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded() && j.contains("noise_floor_bits_per_pixel") && j["noise_floor_bits_per_pixel"].is_number()) {
      nf.known_ = nf.exact_ = true;
      nf.exact_bits_ = j["noise_floor_bits_per_pixel"].get<double>();
      nf.width_ = j.value("width", 0u);
      nf.height_ = j.value("height", 0u);
      nf.method_ = "exact: noise_floor_bits_per_pixel from synth.json (srsfs-admin synth); whole frames only, "
                   "unknown for a crop (the object changes the noise across the frame)";
      return nf;
    }
  }
  fs::path parent = dir.parent_path();
  if (!fs::is_directory(parent / "flats", ec) || !fs::is_directory(parent / "darks", ec)) {
    nf.method_ = "unknown: no synth.json and no sibling flats/ + darks/";
    return nf;
  }
  Dataset flats = load_dataset(parent / "flats", 0), darks = load_dataset(parent / "darks", 0);
  if (flats.width() != darks.width() || flats.height() != darks.height())
    fail(Errc::invalid_argument, "{}: flats and darks differ in size", parent.string());
  PixelStats fs_ = pixel_stats(flats.frames), ds = pixel_stats(darks.frames);
  nf.width_ = flats.width();
  nf.height_ = flats.height();
  nf.dark_ = ds.mean;

  // read² from the darks (robust over pixels), then gain from the flats' excess variance vs signal, fitted
  // through the origin on 32 equally populated bins of signal (median variance per bin).
  std::vector<double> dv;
  for (double v : ds.var)
    if (v >= 0) dv.push_back(v);
  nf.read_var_ = robust_variance(dv, ds.dof);
  std::vector<std::pair<double, double>> pts;  // (signal above dark, variance)
  for (size_t i = 0; i < fs_.mean.size(); ++i) {
    double sig = fs_.mean[i] - nf.dark_[i];
    if (fs_.var[i] >= 0 && sig > 0 && fs_.mean[i] < 65000) pts.emplace_back(sig, fs_.var[i]);
  }
  if (pts.size() < 64) {
    nf.method_ = "unknown: too few usable flat-field pixels for a gain fit";
    return nf;
  }
  std::sort(pts.begin(), pts.end());
  const size_t bins = 32;
  double sxy = 0, sxx = 0;
  for (size_t b = 0; b < bins; ++b) {
    size_t lo = pts.size() * b / bins, hi = pts.size() * (b + 1) / bins;
    std::vector<double> v;
    double xs = 0;
    for (size_t i = lo; i < hi; ++i) {
      xs += pts[i].first;
      v.push_back(pts[i].second);
    }
    double x = xs / double(hi - lo), y = robust_variance(v, fs_.dof) - nf.read_var_;
    sxy += x * y;
    sxx += x * x;
  }
  nf.gain_ = std::max(0.0, sxy / sxx);
  nf.known_ = true;
  nf.method_ = fmt::format(
      "estimated: sigma^2 = gain*(mu - dark) + read^2 with read^2 = {:.3g} from {} dark(s) ({}), gain = {:.4g} "
      "DN/e- from {} flat(s) ({}; least squares through read^2 over 32 signal bins of median variance); mu per "
      "projection pixel = 3x3 spatial x 3 frame box mean of the projections; floor = mean entropy of the "
      "integer-rounded Gaussian",
      nf.read_var_, darks.frames.size(), ds.how, nf.gain_, flats.frames.size(), fs_.how);
  return nf;
}

std::optional<double> NoiseFloor::bits_per_pixel(const std::vector<codec::Frame16>& frames, const Crop& crop) const {
  if (!known_) return std::nullopt;
  if (exact_)  // the file gives the whole-frame mean only
    return !frames.empty() && frames[0].width == width_ && frames[0].height == height_ ? std::optional(exact_bits_)
                                                                                         : std::nullopt;
  if (frames.empty()) return std::nullopt;
  const uint32_t w = frames[0].width, h = frames[0].height;
  if (crop.x0 + w > width_ || crop.y0 + h > height_) return std::nullopt;  // flats of another geometry
  double total = 0;
  const int nf = int(frames.size());
  for (int t = 0; t < nf; ++t)
    for (uint32_t y = 0; y < h; ++y)
      for (uint32_t x = 0; x < w; ++x) {
        double sum = 0;
        int cnt = 0;
        for (int dt = std::max(0, t - 1); dt <= std::min(nf - 1, t + 1); ++dt)
          for (uint32_t yy = y ? y - 1 : 0; yy <= std::min(h - 1, y + 1); ++yy)
            for (uint32_t xx = x ? x - 1 : 0; xx <= std::min(w - 1, x + 1); ++xx, ++cnt) sum += frames[size_t(dt)].at(yy, xx);
        double mu = sum / cnt, dark = dark_[size_t(crop.y0 + y) * width_ + crop.x0 + x];
        double var = gain_ * std::max(0.0, mu - dark) + read_var_;
        total += discrete_gaussian_entropy(std::sqrt(var));
      }
  return total / (double(nf) * w * h);
}

}  // namespace srsfs::bench
