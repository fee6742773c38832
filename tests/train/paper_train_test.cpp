#include "codec/train/paper_train.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include "codec/error.h"
#include "codec/paper_codec.h"
#include "tests/test_paths.h"

namespace srsfs::codec {
namespace {

constexpr uint32_t kF = 24, kH = 32, kW = 32;

// A gradient drifting one pixel per frame, with structure and shot-like noise: adjacent frames nearly equal.
std::vector<uint16_t> synthetic_sequence(uint64_t seed = 42) {
  std::vector<uint16_t> px(size_t(kF) * kH * kW);
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  for (uint32_t t = 0; t < kF; ++t)
    for (uint32_t y = 0; y < kH; ++y)
      for (uint32_t x = 0; x < kW; ++x) {
        double v = 3000 + 35.0 * (x + 0.5 * t) + 20.0 * y + 400.0 * std::sin((x + 0.5 * t) / 5.0 + y / 9.0);
        v += std::sqrt(v) * 0.15 * noise(rng);
        if (rng() % 500 == 0) v = double(rng() % 65536);  // hot pixels: escapes
        px[(size_t(t) * kH + y) * kW + x] = uint16_t(std::clamp(v, 0.0, 65535.0));
      }
  return px;
}

PaperTrainOptions options(ModelKind k) {
  PaperTrainOptions o;
  o.kind = k;
  o.hidden = 16;
  o.epochs = 4;
  o.threads = 2;
  o.max_samples = 8000;
  return o;
}

void expect_round_trip(const BlockCodec& codec, const BlockView& b) {
  Bytes enc = codec.encode(b);
  std::vector<uint16_t> out(size_t(b.frames) * b.frame_pixels());
  codec.decode(enc, {out.data(), b.frames, b.rows, b.width});
  EXPECT_TRUE(std::equal(out.begin(), out.end(), b.px));
}

class PaperTrain : public testing::TestWithParam<ModelKind> {};

TEST_P(PaperTrain, TrainsQuantisesAndRoundTripsBitExactly) {
  auto px = synthetic_sequence();
  BlockView all{px.data(), kF, kH, kW};
  BlockView first{px.data(), 12, kH, kW}, last{px.data() + 12 * size_t(kH) * kW, 12, kH, kW};
  PaperTrainReport rep;
  PaperNet net = train_paper_net({first}, options(GetParam()), &rep, {last});
  // Integer inference must stay close to the float model it came from.
  EXPECT_LT(rep.int_bits, rep.float_bits * 1.03 + 0.02) << "float " << rep.float_bits << " int " << rep.int_bits;
  EXPECT_LT(rep.float_bits, 8.0);
  std::printf("%s: window [%d, %d], %zu params, %zu bytes, float %.3f int %.3f bits/symbol, %.1f s\n",
              GetParam() == ModelKind::fc ? "fc" : GetParam() == ModelKind::lstm ? "lstm" : "gru", rep.window.lo,
              rep.window.hi, rep.params, rep.param_bytes, rep.float_bits, rep.int_bits, rep.seconds);
  auto codec = make_paper_block_codec(ScanModel{GetParam(), serialize_paper_net(net)});
  expect_round_trip(*codec, all);
  expect_round_trip(*codec, BlockView{px.data() + 5 * size_t(kW), 7, 9, kW});  // odd rows
  std::vector<uint16_t> band(size_t(kF) * 3 * kW);  // a 3-row band cut out of every frame
  for (uint32_t t = 0; t < kF; ++t)
    std::copy_n(px.begin() + ptrdiff_t((size_t(t) * kH + 10) * kW), 3 * kW, band.begin() + ptrdiff_t(size_t(t) * 3 * kW));
  expect_round_trip(*codec, BlockView{band.data(), kF, 3, kW});
}

INSTANTIATE_TEST_SUITE_P(Kinds, PaperTrain, testing::Values(ModelKind::fc, ModelKind::lstm, ModelKind::gru));

TEST(PaperTrainDeterminism, SameInputSameModelBytes) {
  auto px = synthetic_sequence();
  BlockView seq{px.data(), 10, kH, kW};
  PaperTrainOptions o = options(ModelKind::gru);
  o.epochs = 1;
  o.max_samples = 3000;
  EXPECT_EQ(train_paper_model({seq}, o).params, train_paper_model({seq}, o).params);
}

// The integer path does not touch LibTorch: a child process with other torch settings (one OpenMP thread,
// no AVX2 kernels) must produce the same encoded bytes and decode the parent's bytes.
void write_file(const std::filesystem::path& p, const void* data, size_t n) {
  std::ofstream f(p, std::ios::binary);
  f.write(static_cast<const char*>(data), std::streamsize(n));
}
Bytes read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

TEST(PaperTrainChild, IntegerCodingIgnoresTorchThreadsAndCpuCapability) {
  auto px = synthetic_sequence(7);
  BlockView seq{px.data(), kF, kH, kW};
  torch::set_num_threads(2);
  PaperTrainOptions o = options(ModelKind::lstm);
  o.epochs = 1;
  o.max_samples = 3000;
  ScanModel model = train_paper_model({seq}, o);
  Bytes enc = make_paper_block_codec(model)->encode(seq);
  test::TempDir dir;
  write_file(dir / "model", model.params.data(), model.params.size());
  write_file(dir / "pixels", px.data(), px.size() * 2);
  write_file(dir / "block", enc.data(), enc.size());
  std::string cmd = "OMP_NUM_THREADS=1 ATEN_CPU_CAPABILITY=default SRSFS_PAPER_CHILD_DIR='" + dir.path().string() +
                    "' '" + std::filesystem::read_symlink("/proc/self/exe").string() + "' --gtest_filter=PaperTrainChild.ChildSide > '" + (dir / "log").string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  Bytes log = read_file(dir / "log");
  EXPECT_EQ(rc, 0) << std::string(log.begin(), log.end());
  EXPECT_NE(std::string(log.begin(), log.end()).find("[  PASSED  ] 1 test"), std::string::npos);
}

TEST(PaperTrainChild, ChildSide) {
  const char* d = std::getenv("SRSFS_PAPER_CHILD_DIR");
  if (!d) GTEST_SKIP() << "run by IntegerCodingIgnoresTorchThreadsAndCpuCapability";
  std::filesystem::path dir = d;
  torch::set_num_threads(1);
  Bytes params = read_file(dir / "model"), raw = read_file(dir / "pixels"), enc = read_file(dir / "block");
  std::vector<uint16_t> px(raw.size() / 2);
  std::memcpy(px.data(), raw.data(), raw.size());
  ASSERT_EQ(px.size(), size_t(kF) * kH * kW);
  auto codec = make_paper_block_codec(ScanModel{ModelKind::lstm, params});
  EXPECT_EQ(codec->encode(BlockView{px.data(), kF, kH, kW}), enc);
  std::vector<uint16_t> out(px.size());
  codec->decode(enc, {out.data(), kF, kH, kW});
  EXPECT_EQ(out, px);
}

}  // namespace
}  // namespace srsfs::codec
