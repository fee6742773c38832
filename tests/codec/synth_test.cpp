#include "codec/synth_scan.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <numbers>

#include <gtest/gtest.h>

#include "codec/error.h"
#include "codec/noise_entropy.h"
#include "codec/synth_random.h"
#include "codec/tiff_layout.h"
#include "tests/test_paths.h"

namespace srsfs::codec {
namespace {

SynthOptions small(uint64_t seed = 5) {
  SynthOptions o;
  o.width = 96;
  o.height = 80;
  o.frames = 3;
  o.seed = seed;
  o.threads = 2;
  return o;
}

double correlation(const Frame16& a, const Frame16& b) {
  double ma = 0, mb = 0;
  const size_t n = a.pixels.size();
  for (size_t i = 0; i < n; ++i) ma += a.pixels[i], mb += b.pixels[i];
  ma /= double(n);
  mb /= double(n);
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < n; ++i) {
    double da = a.pixels[i] - ma, db = b.pixels[i] - mb;
    sab += da * db, saa += da * da, sbb += db * db;
  }
  return sab / std::sqrt(saa * sbb);
}

TEST(Synth, SameSeedSamePixelsAnyThreadCountDifferentSeedDifferent) {
  SynthScan a(small()), b(small());
  EXPECT_EQ(a.frame(2), b.frame(2));
  EXPECT_EQ(a.frame(2), a.frame(2));
  SynthOptions one = small();
  one.threads = 1;
  EXPECT_EQ(SynthScan(one).frame(2), a.frame(2));
  EXPECT_NE(SynthScan(small(6)).frame(2), a.frame(2));
  EXPECT_NE(a.frame(1), a.frame(2));
  EXPECT_GE(a.ellipsoid_count(), 10u);
  EXPECT_LE(a.ellipsoid_count(), 30u);
}

TEST(Synth, CountsArePlausible) {
  SynthOptions o = small();
  o.width = o.height = 128;
  Frame16 f = SynthScan(o).frame(0);
  auto [lo, hi] = std::minmax_element(f.pixels.begin(), f.pixels.end());
  double mean = 0;
  for (uint16_t v : f.pixels) mean += v;
  mean /= double(f.pixels.size());
  EXPECT_GE(*lo, 80);                                         // dark offset 100 minus read noise
  EXPECT_LT(*lo, 0.7 * o.flat);                               // the object absorbs
  EXPECT_LE(*hi, o.flat * 1.15 * 1.01 + o.dark + 6 * 160);    // brightest flat plus noise
  EXPECT_GT(*hi, o.flat * 0.9);                               // open beam around the object
  EXPECT_GT(mean, 0.3 * o.flat);
  EXPECT_LT(mean, 1.2 * o.flat);
}

TEST(Synth, NoiseMatchesThePhysicalModel) {
  SynthOptions o = small();
  o.width = o.height = 128;
  SynthScan s(o);
  Frame16 f = s.frame(1);
  std::vector<float> lam = s.expected_photons(1);
  double z = 0, z2 = 0;
  for (size_t i = 0; i < lam.size(); ++i) {
    double r = (f.pixels[i] - o.dark - lam[i]) / std::sqrt(lam[i] + o.read_noise * o.read_noise + 1.0 / 12);
    z += r, z2 += r * r;
  }
  z /= double(lam.size());
  z2 /= double(lam.size());
  EXPECT_NEAR(z, 0, 0.03);
  EXPECT_NEAR(z2, 1, 0.05);
}

TEST(Synth, AdjacentFramesAreStronglyCorrelated) {
  SynthOptions o = small();
  o.width = o.height = 128;
  SynthScan s(o);
  Frame16 f0 = s.frame(0), f1 = s.frame(1), far = s.frame(900);  // 90 degrees later
  double near_c = correlation(f0, f1), far_c = correlation(f0, far);
  EXPECT_GT(near_c, 0.95);
  EXPECT_LT(far_c, near_c);
}

TEST(Synth, NoiseFloorIsSane) {
  SynthOptions o = small();
  o.width = o.height = 128;
  double bits = SynthScan(o).noise_floor_bits();
  EXPECT_GT(bits, 7.0);
  EXPECT_LT(bits, 9.5);  // 1/2 log2(2 pi e 23000) = 9.3 for the brightest flat
  o.flat = 200;
  double dim = SynthScan(o).noise_floor_bits();
  EXPECT_LT(dim, bits - 3);
  EXPECT_GT(dim, 3.0);
}

TEST(Synth, EntropyOfCountsMatchesKnownLimits) {
  // Entropy of a rounded Gaussian: 1/2 log2(2 pi e (var + 1/12)).
  auto gauss = [](double var) { return 0.5 * std::log2(2 * std::numbers::pi * std::numbers::e * (var + 1.0 / 12)); };
  EXPECT_NEAR(count_entropy_exact_bits(0, 0, 100), 0, 1e-12);       // no noise at all
  EXPECT_NEAR(count_entropy_exact_bits(0, 2, 100), gauss(4), 0.002);   // read noise alone
  EXPECT_NEAR(count_entropy_exact_bits(1000, 2, 100), gauss(1004), 0.001);
  // A Poisson count of mean 1 without read noise: -sum p log2 p by hand.
  double h = 0, p = std::exp(-1.0);
  for (int k = 0; k < 40; ++k, p /= k) h -= p > 0 ? p * std::log2(p) : 0;
  EXPECT_NEAR(count_entropy_exact_bits(1, 0, 0), h, 1e-9);
  NoiseEntropy e(2, 100);
  EXPECT_NEAR(e.bits(63.99), e.bits(64.0), 0.002);  // table and Gaussian limit meet
  EXPECT_NEAR(e.bits(10.3), count_entropy_exact_bits(10.3, 2, 100), 1e-3);
}

TEST(Synth, SamplersHaveTheRightMoments) {
  synth::Rng rng(99);
  double s = 0, s2 = 0, n = 200000;
  for (int i = 0; i < n; ++i) {
    double k = rng.poisson_small(3.5);
    s += k, s2 += k * k;
  }
  EXPECT_NEAR(s / n, 3.5, 0.03);
  EXPECT_NEAR(s2 / n - (s / n) * (s / n), 3.5, 0.06);
  s = s2 = 0;
  for (int i = 0; i < n; ++i) {
    double z = rng.normal();
    s += z, s2 += z * z;
  }
  EXPECT_NEAR(s / n, 0, 0.01);
  EXPECT_NEAR(s2 / n, 1, 0.015);
}

TEST(Synth, WrittenScanProbesAsGray16) {
  test::TempDir dir;
  SynthOptions o = small();
  o.rows_per_strip = 7;
  SynthSummary sum = write_synth_scan(dir.path(), o);
  EXPECT_EQ(sum.frames_written, 3u);
  SynthScan s(o);
  for (uint32_t i = 0; i < 3; ++i) {
    auto path = dir / fmt::format("frame_{:05d}.tif", i);
    std::ifstream in(path, std::ios::binary);
    Bytes file((std::istreambuf_iterator<char>(in)), {});
    TiffProbe p = probe_tiff(file, path.string());
    ASSERT_EQ(p.cls, TiffClass::gray16) << p.reason;
    EXPECT_FALSE(p.layout.big_endian);
    EXPECT_EQ(p.frame, s.frame(i));
  }
  std::ifstream js(dir / "synth.json");
  std::string json((std::istreambuf_iterator<char>(js)), {});
  EXPECT_NE(json.find("\"noise_floor_bits_per_pixel\""), std::string::npos);
  EXPECT_NE(json.find("\"noise_floor_cr\""), std::string::npos);
  EXPECT_NE(json.find("\"frames\": 3"), std::string::npos);
}

TEST(Synth, BadOptionsAreRefused) {
  SynthOptions o = small();
  o.width = 0;
  EXPECT_THROW(SynthScan{o}, Error);
  o = small();
  o.flat = -1;
  EXPECT_THROW(SynthScan{o}, Error);
}

}  // namespace
}  // namespace srsfs::codec
