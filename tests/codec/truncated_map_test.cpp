#include "codec/truncated_map.h"

#include <gtest/gtest.h>

#include <vector>

#include "codec/error.h"

namespace srsfs::codec {
namespace {

std::vector<uint64_t> hist_of(std::initializer_list<std::pair<int, uint64_t>> counts) {
  std::vector<uint64_t> h(kDiffHistSize);
  for (auto [d, c] : counts) h[size_t(d + kDiffOffset)] += c;
  return h;
}

TEST(TruncatedMap, NarrowestWindowHoldingOneMinusEpsilon) {
  auto h = hist_of({{-2, 10}, {-1, 20}, {0, 40}, {1, 20}, {2, 8}, {50, 2}});
  TruncWindow w = choose_window(h, 0.02);  // keep 98 of 100: [-2, 2]
  EXPECT_EQ(w.lo, -2);
  EXPECT_EQ(w.hi, 2);
  EXPECT_EQ(w.alphabet(), 6);
  EXPECT_EQ(w.map(50), w.escape());
  EXPECT_EQ(w.map(-2), 0);
  w = choose_window(h, 0.1);  // keep 90: [-1, 1] holds 80, [-2, 1] 90
  EXPECT_EQ(w.lo, -2);
  EXPECT_EQ(w.hi, 1);
  w = choose_window(h, 0.0);  // everything: [-2, 50]
  EXPECT_EQ(w.hi, 50);
}

TEST(TruncatedMap, WindowAlwaysHoldsZeroAndRespectsTheCap) {
  TruncWindow w = choose_window(hist_of({{500, 100}}), 0.02);
  EXPECT_EQ(w.lo, 0);
  EXPECT_EQ(w.hi, 500);
  w = choose_window(hist_of({{5000, 100}}), 0.02, 1024);
  EXPECT_LE(w.alphabet(), 1024);
  EXPECT_EQ(w.lo, 0);
  w = choose_window(hist_of({{-65535, 1}, {65535, 1}}), 0.0, 4096);
  EXPECT_TRUE(w.valid());
  w = choose_window(std::vector<uint64_t>(kDiffHistSize), 0.02);
  EXPECT_EQ(w.alphabet(), 2);
  EXPECT_THROW(choose_window(std::vector<uint64_t>(3), 0.02), Error);
}

TEST(TruncatedMap, InputsAreNormalised) {
  TruncWindow w{-4, 3};
  EXPECT_EQ(paper_input_q12(w, w.zero_symbol()), 0);
  EXPECT_EQ(paper_input_q12(w, 0), -4096);
  EXPECT_EQ(paper_input_q12(w, w.escape()), 4096);
}

}  // namespace
}  // namespace srsfs::codec
