#include "codec/nn_int.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "codec/nn_lut.h"
#include "codec/paper_codec.h"
#include "tests/codec/paper_test_util.h"

namespace srsfs::codec {
namespace {

TEST(NnLut, TablesMatchTheFunctions) {
  for (int x = -40000; x <= 40000; x += 37) {
    double v = x / 4096.0;
    EXPECT_NEAR(nn::sigmoid_q12(x) / 4096.0, 1 / (1 + std::exp(-std::clamp(v, -8.0, 8.0))), 1.2e-3) << x;
    EXPECT_NEAR(nn::tanh_q12(x) / 4096.0, std::tanh(std::clamp(v, -8.0, 8.0)), 2.2e-3) << x;
  }
  for (int t = 0; t < 24 * 4096; t += 101)
    EXPECT_NEAR(nn::exp_neg_q30(t) / double(1 << 30), std::exp(-t / 4096.0), 2.1e-3 * std::exp(-t / 4096.0) + 1e-9);
  EXPECT_EQ(nn::exp_neg_q30(0), 1u << 30);
  EXPECT_EQ(nn::exp_neg_q30(25 * 4096), 0u);
  EXPECT_EQ(nn::exp_neg_q60(0, 1), uint64_t(1) << 60);
  EXPECT_NEAR(double(nn::exp_neg_q60(1, 1)) / double(uint64_t(1) << 60), std::exp(-1.0), 1e-15);
}

// Fixed checksums of the tables and of one prediction: a change in any bit (compiler, CPU, refactor) shows
// here before it corrupts an archive.
TEST(NnLut, TablesAreBitStable) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (int x = -33000; x <= 33000; ++x) mix(uint64_t(nn::sigmoid_q12(x))), mix(uint64_t(nn::tanh_q12(x)));
  for (int t = 0; t < 25 * 4096; ++t) mix(nn::exp_neg_q30(t));
  EXPECT_EQ(h, 5734755285522158844ull) << "golden value, update on purpose only";
}

TEST(NnInt, FrequenciesArePositiveAndSumTo2Pow16) {
  for (ModelKind k : {ModelKind::fc, ModelKind::lstm, ModelKind::gru})
    for (TruncWindow w : {TruncWindow{0, 0}, TruncWindow{-3, 9}, TruncWindow{-600, 700}}) {
      PaperNet net = test::random_paper_net(k, w, 5, 24, 3);
      PaperPredictor p(net);
      std::mt19937_64 rng(1);
      std::vector<uint16_t> ctx(5);
      for (int trial = 0; trial < 50; ++trial) {
        for (auto& c : ctx) c = uint16_t(rng() % uint64_t(w.alphabet()));
        const uint16_t* f = p.predict(ctx.data());
        uint32_t sum = 0;
        for (int s = 0; s < w.alphabet(); ++s) {
          ASSERT_GE(f[s], 1);
          sum += f[s];
        }
        ASSERT_EQ(sum, 1u << 16);
      }
    }
}

TEST(NnInt, PredictionDependsOnlyOnContext) {
  PaperNet net = test::random_paper_net(ModelKind::gru, {-10, 10}, 8, 32, 4);
  PaperPredictor a(net), b(net);
  std::vector<uint16_t> c1 = {1, 2, 3, 4, 5, 6, 7, 8}, c2 = {20, 0, 11, 10, 9, 21, 3, 3};
  std::vector<uint16_t> f1(a.predict(c1.data()), a.predict(c1.data()) + 22);
  b.predict(c2.data());  // different history in b
  std::vector<uint16_t> f2(b.predict(c1.data()), b.predict(c1.data()) + 22);
  EXPECT_EQ(f1, f2);
}

}  // namespace
}  // namespace srsfs::codec
