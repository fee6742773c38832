// Object model, projection and detector model of the synthetic scan (see synth_scan.h).
#include "codec/synth_scan.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <exception>
#include <mutex>
#include <numbers>
#include <thread>

#include "codec/error.h"
#include "codec/noise_entropy.h"
#include "codec/synth_random.h"

namespace srsfs::codec {
namespace {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<Vec3, 3>;

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
Vec3 mul(const Mat3& m, const Vec3& v) { return {dot(m[0], v), dot(m[1], v), dot(m[2], v)}; }
double quad(const Vec3& a, const Mat3& m, const Vec3& b) { return dot(a, mul(m, b)); }

// R diag(s) R^T.
Mat3 conjugate(const Mat3& r, const Vec3& s) {
  Mat3 out{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) out[i][j] += r[i][k] * s[k] * r[j][k];
  return out;
}

Mat3 random_rotation(synth::Rng& rng) {
  double q[4], n = 0;
  for (double& x : q) {
    x = rng.normal();
    n += x * x;
  }
  n = std::sqrt(n);
  const double w = q[0] / n, x = q[1] / n, y = q[2] / n, z = q[3] / n;
  return {{{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
           {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
           {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}}};
}

Mat3 rotation_about_y(double a) {
  const double c = std::cos(a), s = std::sin(a);
  return {{{c, 0, s}, {0, 1, 0}, {-s, 0, c}}};
}

struct Ellipsoid {
  Vec3 c;
  Mat3 m;     // (p - c)^T m (p - c) = 1 on the surface
  Mat3 minv;  // for bounding boxes
  double mu;  // attenuation per unit length (field of view half-width = 1); negative for pores
};

// One ellipsoid seen at one angle: coefficients of the ray quadratic as functions of (u, v).
struct Projected {
  double a, b1, b_v, b_0, c2, c1_v, c1_0, c0_vv, c0_v, c0_0, mu;
  uint32_t x0, x1, y0, y1;  // pixel bounding box, inclusive
};

constexpr int kFlatModes = 5;
constexpr double kExactPoissonBelow = 64;  // photons; above, Poisson + read noise is one normal

}  // namespace

struct SynthScan::Model {
  SynthOptions o;
  double px;  // pixel pitch in object units
  std::vector<Ellipsoid> ell;
  std::array<double, kFlatModes> flat_amp{};
  std::array<std::vector<double>, kFlatModes> flat_col, flat_row;
  double drift_period[2], drift_phase[2];

  unsigned workers() const { return std::max(1u, o.threads ? o.threads : std::thread::hardware_concurrency()); }
  double u_of(uint32_t x) const { return (x + 0.5 - o.width / 2.0) * px; }
  double v_of(uint32_t y) const { return (o.height / 2.0 - y - 0.5) * px; }

  double drift(uint32_t index) const {
    const double t = 2 * std::numbers::pi * index;
    return 1 + o.drift * (0.7 * std::sin(t / drift_period[0] + drift_phase[0]) +
                          0.3 * std::sin(t / drift_period[1] + drift_phase[1]));
  }

  std::vector<Projected> project(uint32_t index) const;
  void photons_row(const std::vector<Projected>& geo, double gain, uint32_t y, double* row) const;
};

namespace {

void check_options(const SynthOptions& o) {
  auto bad = [](const char* what, double v) { fail(Errc::invalid_argument, "synth: {} = {} is out of range", what, v); };
  if (o.width == 0 || o.width > 65536) bad("width", o.width);
  if (o.height == 0 || o.height > 65536) bad("height", o.height);
  if (o.frames == 0 || o.frames > 100000) bad("frames", o.frames);
  if (!std::isfinite(o.step_deg) || std::fabs(o.step_deg) > 360) bad("step", o.step_deg);
  if (!(o.flat > 0 && o.flat <= 65000)) bad("flat", o.flat);
  if (!(o.flat_variation >= 0 && o.flat_variation <= 0.9)) bad("flat variation", o.flat_variation);
  if (!(o.drift >= 0 && o.drift <= 0.5)) bad("drift", o.drift);
  if (!(o.dark >= 0 && o.dark <= 10000)) bad("dark", o.dark);
  if (!(o.read_noise >= 0 && o.read_noise <= 1000)) bad("read noise", o.read_noise);
}

// Keeps an ellipsoid inside the field of view at every angle and inside the frame vertically.
void keep_in_view(Vec3& c, const Vec3& semi, double v_max) {
  const double reach = std::max({semi[0], semi[1], semi[2]});
  const double r = std::hypot(c[0], c[2]), r_max = std::max(0.0, 0.95 - reach);
  if (r > r_max) {
    c[0] *= r_max / r;
    c[2] *= r_max / r;
  }
  const double y_max = std::max(0.0, 0.95 * v_max - reach);
  c[1] = std::clamp(c[1], -y_max, y_max);
}

Ellipsoid make_ellipsoid(const Vec3& c, const Vec3& semi, const Mat3& rot, double mu) {
  return {c, conjugate(rot, {1 / (semi[0] * semi[0]), 1 / (semi[1] * semi[1]), 1 / (semi[2] * semi[2])}),
          conjugate(rot, {semi[0] * semi[0], semi[1] * semi[1], semi[2] * semi[2]}), mu};
}

// Runs fn(y, worker) for every row on `threads` workers; rows are handed out in small chunks.
template <typename Fn>
void for_rows(uint32_t rows, unsigned threads, Fn fn) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, std::max(1u, rows / 8));
  constexpr uint32_t kChunk = 8;
  std::atomic<uint32_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](unsigned worker) {
    try {
      for (uint32_t y0; (y0 = next.fetch_add(kChunk)) < rows;)
        for (uint32_t y = y0; y < std::min(rows, y0 + kChunk); ++y) fn(y, worker);
    } catch (...) {
      std::lock_guard lock(error_mutex);
      if (!error) error = std::current_exception();
      next = rows;
    }
  };
  {
    std::vector<std::jthread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<Projected> SynthScan::Model::project(uint32_t index) const {
  const double theta = index * o.step_deg * std::numbers::pi / 180;
  // The object turns by theta; equivalently each detector ray turns by -theta in object coordinates.
  const Mat3 r = rotation_about_y(theta);
  const Vec3 eu = r[0], d = r[2], ey = {0, 1, 0};
  std::vector<Projected> out;
  for (const Ellipsoid& e : ell) {
    Projected p;
    p.a = quad(d, e.m, d);
    p.b1 = quad(d, e.m, eu);
    p.b_v = quad(d, e.m, ey);
    p.b_0 = -quad(d, e.m, e.c);
    p.c2 = quad(eu, e.m, eu);
    p.c1_v = quad(eu, e.m, ey);
    p.c1_0 = -quad(eu, e.m, e.c);
    p.c0_vv = quad(ey, e.m, ey);
    p.c0_v = -2 * quad(ey, e.m, e.c);
    p.c0_0 = quad(e.c, e.m, e.c) - 1;
    p.mu = e.mu;
    const double cu = dot(eu, e.c), hu = std::sqrt(quad(eu, e.minv, eu));
    const double cv = e.c[1], hv = std::sqrt(e.minv[1][1]);
    auto clamp_px = [](double v, uint32_t n) { return uint32_t(std::clamp(v, 0.0, double(n - 1))); };
    p.x0 = clamp_px(std::floor((cu - hu) / px + o.width / 2.0 - 0.5), o.width);
    p.x1 = clamp_px(std::ceil((cu + hu) / px + o.width / 2.0 - 0.5), o.width);
    p.y0 = clamp_px(std::floor(o.height / 2.0 - 0.5 - (cv + hv) / px), o.height);
    p.y1 = clamp_px(std::ceil(o.height / 2.0 - 0.5 - (cv - hv) / px), o.height);
    out.push_back(p);
  }
  return out;
}

void SynthScan::Model::photons_row(const std::vector<Projected>& geo, double gain, uint32_t y, double* row) const {
  std::fill(row, row + o.width, 0.0);  // line integral of attenuation first
  const double v = v_of(y);
  for (const Projected& p : geo) {
    if (y < p.y0 || y > p.y1) continue;
    const double b0 = p.b_v * v + p.b_0, c1 = p.c1_v * v + p.c1_0, c0 = (p.c0_vv * v + p.c0_v) * v + p.c0_0;
    const double scale = 2 * p.mu / p.a;
    for (uint32_t x = p.x0; x <= p.x1; ++x) {
      const double u = u_of(x), b = b0 + p.b1 * u, c = c0 + (2 * c1 + p.c2 * u) * u;
      const double disc = b * b - p.a * c;
      if (disc > 0) row[x] += scale * std::sqrt(disc);  // chord length = 2 sqrt(disc) / a
    }
  }
  double rowmode[kFlatModes];
  for (int k = 0; k < kFlatModes; ++k) rowmode[k] = flat_amp[size_t(k)] * flat_row[size_t(k)][y];
  const double open = o.flat * gain;
  for (uint32_t x = 0; x < o.width; ++x) {
    double s = 0;
    for (int k = 0; k < kFlatModes; ++k) s += rowmode[k] * flat_col[size_t(k)][x];
    row[x] = open * (1 + o.flat_variation * s) * std::exp(-std::max(row[x], 0.0));
  }
}

SynthScan::SynthScan(const SynthOptions& options) : m_(std::make_unique<Model>()) {
  check_options(options);
  Model& m = *m_;
  m.o = options;
  m.px = 2.0 / options.width;
  const double v_max = double(options.height) / options.width;  // top edge in object units
  synth::Rng rng(synth::mix(options.seed, 0x0b1ec7));

  // The body: a large, weakly absorbing ellipsoid turned about the axis.
  Vec3 body_semi = {rng.uniform(0.5, 0.75), v_max * rng.uniform(0.55, 0.8), rng.uniform(0.5, 0.75)};
  Vec3 body_c = {rng.uniform(-0.05, 0.05), v_max * rng.uniform(-0.05, 0.05), rng.uniform(-0.05, 0.05)};
  keep_in_view(body_c, body_semi, v_max);
  const double body_mu = rng.uniform(0.4, 0.8);
  const Mat3 body_rot = rotation_about_y(rng.uniform(0, std::numbers::pi));
  m.ell.push_back(make_ellipsoid(body_c, body_semi, body_rot, body_mu));

  // Inclusions: dense grains, some overlapping each other or the body's surface, and a few pores.
  const uint32_t inclusions = 9 + rng.below(21);
  for (uint32_t i = 0; i < inclusions; ++i) {
    const bool pore = rng.uniform() < 0.2;
    const double size = pore ? 0.08 : 0.22;
    Vec3 semi = {rng.uniform(0.03, size), rng.uniform(0.03, size), rng.uniform(0.03, size)};
    Vec3 unit;  // a point in the unit ball, mapped into the body
    do {
      unit = {rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)};
    } while (dot(unit, unit) > 1);
    const double depth = pore ? 0.6 : 0.95;
    Vec3 local = {unit[0] * body_semi[0] * depth, unit[1] * body_semi[1] * depth, unit[2] * body_semi[2] * depth};
    Vec3 c = mul(body_rot, local);
    for (int k = 0; k < 3; ++k) c[size_t(k)] += body_c[size_t(k)];
    keep_in_view(c, semi, v_max);
    const double mu = pore ? -body_mu : rng.uniform(0.3, 3.0);
    m.ell.push_back(make_ellipsoid(c, semi, random_rotation(rng), mu));
  }

  // Flat field: a few smooth separable cosine modes; amplitudes sum to 1 so |variation| <= flat_variation.
  double total = 0;
  for (int k = 0; k < kFlatModes; ++k) total += (m.flat_amp[size_t(k)] = rng.uniform(0.2, 1.0));
  for (int k = 0; k < kFlatModes; ++k) {
    m.flat_amp[size_t(k)] /= total;
    const double fx = rng.uniform(0.3, 2.5), px_phase = rng.uniform(0, 2 * std::numbers::pi);
    const double fy = rng.uniform(0.3, 2.5), py_phase = rng.uniform(0, 2 * std::numbers::pi);
    m.flat_col[size_t(k)].resize(options.width);
    m.flat_row[size_t(k)].resize(options.height);
    for (uint32_t x = 0; x < options.width; ++x) m.flat_col[size_t(k)][x] = std::cos(fx * m.u_of(x) + px_phase);
    for (uint32_t y = 0; y < options.height; ++y) m.flat_row[size_t(k)][y] = std::cos(fy * m.v_of(y) + py_phase);
  }
  m.drift_period[0] = rng.uniform(300, 600);
  m.drift_period[1] = rng.uniform(40, 90);
  m.drift_phase[0] = rng.uniform(0, 2 * std::numbers::pi);
  m.drift_phase[1] = rng.uniform(0, 2 * std::numbers::pi);
}

SynthScan::~SynthScan() = default;
SynthScan::SynthScan(SynthScan&&) noexcept = default;
SynthScan& SynthScan::operator=(SynthScan&&) noexcept = default;

const SynthOptions& SynthScan::options() const { return m_->o; }
size_t SynthScan::ellipsoid_count() const { return m_->ell.size(); }

Frame16 SynthScan::frame(uint32_t index) const {
  const Model& m = *m_;
  const auto geo = m.project(index);
  const double gain = m.drift(index), dark = m.o.dark, sigma = m.o.read_noise, var_read = sigma * sigma;
  Frame16 f(m.o.width, m.o.height);
  std::vector<std::vector<double>> rows(m.workers());  // one row buffer per worker
  for_rows(m.o.height, unsigned(rows.size()), [&](uint32_t y, unsigned worker) {
    std::vector<double>& row = rows[worker];
    row.resize(m.o.width);
    m.photons_row(geo, gain, y, row.data());
    synth::Rng rng(synth::mix(synth::mix(m.o.seed, 0x5eed0000ull + index), y));
    uint16_t* out = &f.at(y, 0);
    for (uint32_t x = 0; x < m.o.width; ++x) {
      const double lam = row[x];
      double v = lam < kExactPoissonBelow ? rng.poisson_small(lam) + dark + sigma * rng.normal()
                                          : lam + dark + std::sqrt(lam + var_read) * rng.normal();
      out[x] = uint16_t(std::clamp(std::floor(v + 0.5), 0.0, 65535.0));
    }
  });
  return f;
}

std::vector<float> SynthScan::expected_photons(uint32_t index) const {
  const Model& m = *m_;
  const auto geo = m.project(index);
  std::vector<float> out(size_t(m.o.width) * m.o.height);
  std::vector<std::vector<double>> rows(m.workers());  // one row buffer per worker
  for_rows(m.o.height, unsigned(rows.size()), [&](uint32_t y, unsigned worker) {
    std::vector<double>& row = rows[worker];
    row.resize(m.o.width);
    m.photons_row(geo, m.drift(index), y, row.data());
    std::copy(row.begin(), row.end(), out.begin() + ptrdiff_t(size_t(y) * m.o.width));
  });
  return out;
}

double SynthScan::noise_floor_bits() const {
  const Model& m = *m_;
  const NoiseEntropy entropy(m.o.read_noise, m.o.dark, kExactPoissonBelow);
  const auto geo = m.project(0);
  std::vector<double> row_bits(m.o.height);  // summed in row order: the result does not depend on threads
  std::vector<std::vector<double>> rows(m.workers());  // one row buffer per worker
  for_rows(m.o.height, unsigned(rows.size()), [&](uint32_t y, unsigned worker) {
    std::vector<double>& row = rows[worker];
    row.resize(m.o.width);
    m.photons_row(geo, m.drift(0), y, row.data());
    double s = 0;
    for (double lam : row) s += entropy.bits(lam);
    row_bits[y] = s;
  });
  double total = 0;
  for (double b : row_bits) total += b;
  return total / (double(m.o.width) * m.o.height);
}

}  // namespace srsfs::codec
