#include "codec/paper_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "codec/checksum.h"
#include "codec/error.h"
#include "tests/codec/paper_test_util.h"

namespace srsfs::codec {
namespace {

using test::random_paper_net;

struct Block {
  uint32_t frames, rows, width;
  std::vector<uint16_t> px;
  Block(uint32_t f, uint32_t r, uint32_t w) : frames(f), rows(r), width(w), px(size_t(f) * r * w) {}
  BlockView view() const { return {px.data(), frames, rows, width}; }
};

// A drifting gradient with noise and a few huge outliers: like adjacent projections, plus trouble.
Block smooth_block(uint32_t f, uint32_t r, uint32_t w, uint64_t seed, int noise = 3) {
  Block b(f, r, w);
  std::mt19937_64 rng(seed);
  for (uint32_t t = 0; t < f; ++t)
    for (uint32_t y = 0; y < r; ++y)
      for (uint32_t x = 0; x < w; ++x) {
        int v = 20000 + 40 * int(x) + 25 * int(y) + 7 * int(t) + int(rng() % uint64_t(2 * noise + 1)) - noise;
        if (rng() % 97 == 0) v = int(rng() % 65536);
        b.px[(size_t(t) * r + y) * w + x] = uint16_t(std::clamp(v, 0, 65535));
      }
  return b;
}

Bytes round_trip(const BlockCodec& codec, const Block& b) {
  Bytes enc = codec.encode(b.view());
  std::vector<uint16_t> out(b.px.size(), 0xAAAA);
  codec.decode(enc, {out.data(), b.frames, b.rows, b.width});
  EXPECT_EQ(out, b.px);
  return enc;
}

const ModelKind kKinds[] = {ModelKind::fc, ModelKind::lstm, ModelKind::gru};

std::unique_ptr<BlockCodec> codec_for(ModelKind k, TruncWindow w = {-8, 8}, EscapeCoding e = EscapeCoding::smallest) {
  PaperNet net = random_paper_net(k, w, 8, 16, 7, e);
  return make_paper_block_codec(ScanModel{k, serialize_paper_net(net)});
}

TEST(PaperCodec, RoundTripsAwkwardShapes) {
  for (ModelKind k : kKinds) {
    auto codec = codec_for(k);
    for (auto [f, r, w] : {std::tuple{1u, 1u, 1u}, {1u, 5u, 7u}, {2u, 1u, 1u}, {2u, 3u, 5u}, {3u, 7u, 13u},
                           {11u, 4u, 9u}, {5u, 1u, 31u}}) {
      SCOPED_TRACE(testing::Message() << int(k) << " " << f << "x" << r << "x" << w);
      round_trip(*codec, smooth_block(f, r, w, f * 100 + r * 10 + w));
    }
  }
}

TEST(PaperCodec, RoundTripsExtremesConstantsAndNoise) {
  std::mt19937_64 rng(5);
  for (ModelKind k : kKinds)
    for (EscapeCoding e : {EscapeCoding::verbatim, EscapeCoding::gamma, EscapeCoding::smallest}) {
      SCOPED_TRACE(testing::Message() << int(k) << " escape " << int(e));
      auto codec = codec_for(k, {-3, 5}, e);
      Block constant(6, 4, 5);
      std::fill(constant.px.begin(), constant.px.end(), 1234);
      Bytes c = round_trip(*codec, constant);
      Block extremes(6, 4, 5);  // 0 <-> 65535 swings: every difference an escape
      for (size_t i = 0; i < extremes.px.size(); ++i) extremes.px[i] = (i / 20 + i) % 2 ? 65535 : 0;
      round_trip(*codec, extremes);
      Block noise(5, 6, 7);  // escapes far above epsilon
      for (auto& v : noise.px) v = uint16_t(rng());
      round_trip(*codec, noise);
      Block saturated(4, 3, 3);
      std::fill(saturated.px.begin(), saturated.px.end(), 65535);
      saturated.px[20] = 0;
      round_trip(*codec, saturated);
    }
}

TEST(PaperCodec, GammaEscapesBeatVerbatimOnNearMisses) {
  Block b = smooth_block(6, 8, 8, 3, 12);  // noise of +-12 overflows the +-3 window by a little
  Bytes v = codec_for(ModelKind::fc, {-3, 3}, EscapeCoding::verbatim)->encode(b.view());
  Bytes g = codec_for(ModelKind::fc, {-3, 3}, EscapeCoding::gamma)->encode(b.view());
  Bytes s = codec_for(ModelKind::fc, {-3, 3}, EscapeCoding::smallest)->encode(b.view());
  EXPECT_LT(g.size(), v.size());
  EXPECT_EQ(s.size(), std::min(g.size(), v.size()));
}

TEST(PaperCodec, EncodingIsDeterministicAcrossCodecInstancesAndThreads) {
  Block b = smooth_block(5, 9, 11, 9);
  for (ModelKind k : kKinds) {
    Bytes a = codec_for(k)->encode(b.view());
    Bytes c;
    std::thread th([&] { c = codec_for(k)->encode(b.view()); });
    th.join();
    EXPECT_EQ(a, c);
  }
}

// Golden checksums of predicted frequencies (the key frame belongs to the LMS coder, so not whole blocks):
// integer inference must give these bits on every machine and build.
TEST(PaperCodec, PredictionsAreBitStable) {
  uint64_t sums[3];
  for (int i = 0; i < 3; ++i) {
    PaperNet net = random_paper_net(kKinds[i], {-6, 6}, 8, 16, 7);
    PaperPredictor pred(net);
    std::mt19937_64 rng(3);
    Bytes all;
    std::vector<uint16_t> ctx(8);
    for (int trial = 0; trial < 200; ++trial) {
      for (auto& c : ctx) c = uint16_t(rng() % 14);
      const uint16_t* f = pred.predict(ctx.data());
      for (int s = 0; s < 14; ++s) all.push_back(uint8_t(f[s])), all.push_back(uint8_t(f[s] >> 8));
    }
    sums[i] = checksum64(all);
  }
  EXPECT_EQ(sums[0], 18039636344198837757ull);
  EXPECT_EQ(sums[1], 4041971000179022374ull);
  EXPECT_EQ(sums[2], 6635224013299451926ull);
}

TEST(PaperCodec, CorruptAndTruncatedBlocksThrowCorrupt) {
  std::mt19937_64 rng(11);
  for (ModelKind k : kKinds) {
    auto codec = codec_for(k, {-4, 4});
    Block b = smooth_block(4, 5, 6, 2, 6);
    Bytes enc = codec->encode(b.view());
    std::vector<uint16_t> out(b.px.size());
    MutableBlockView o{out.data(), b.frames, b.rows, b.width};
    for (size_t len = 0; len < enc.size(); ++len) {  // every truncation
      Bytes cut(enc.begin(), enc.begin() + ptrdiff_t(len));
      try {
        codec->decode(cut, o);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::corrupt) << e.what();
      }
    }
    for (int trial = 0; trial < 300; ++trial) {  // random byte flips: an error or wrong pixels, never a crash
      Bytes bad = enc;
      bad[rng() % bad.size()] ^= uint8_t(1 + rng() % 255);
      try {
        codec->decode(bad, o);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), Errc::corrupt) << e.what();
      }
    }
    // Wrong shape, wrong model.
    EXPECT_THROW(codec->decode(enc, {out.data(), 3, 5, 6}), Error);
    EXPECT_THROW(codec_for(k, {-5, 4})->decode(enc, o), Error);
  }
}

TEST(PaperModel, HostileParamsThrowCorrupt) {
  PaperNet net = random_paper_net(ModelKind::lstm, {-6, 6});
  Bytes good = serialize_paper_net(net);
  EXPECT_NO_THROW(parse_paper_net(good, ModelKind::lstm));
  EXPECT_THROW(parse_paper_net(good, ModelKind::gru), Error);
  for (size_t len = 0; len < good.size(); len += 7) {
    try {
      parse_paper_net(ByteSpan(good.data(), len), ModelKind::lstm);
      ADD_FAILURE() << "truncated params parsed at " << len;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::corrupt);
    }
  }
  // Oversized declared shapes are refused before allocating.
  Bytes huge = {kPaperModelVersion, uint8_t(ModelKind::fc), 8, 0, 0xFE, 0xFF, 0x07, 0xFE, 0xFF, 0x07, 0x80, 0x02};
  EXPECT_THROW(parse_paper_net(huge, ModelKind::fc), Error);
  // Weights that could overflow the int32 dot product are refused.
  PaperNet bad = net;
  std::fill(bad.layers[0].w.begin(), bad.layers[0].w.end(), int16_t(32767));
  EXPECT_THROW(serialize_paper_net(bad), Error);
  Bytes raw = good;
  size_t first_weight = 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1;  // header: version kind K esc lo hi hidden shift
  for (size_t i = first_weight; i < first_weight + 2 * 40; ++i) raw[i] = (i % 2) ? 0x7F : 0xFF;
  EXPECT_THROW(parse_paper_net(raw, ModelKind::lstm), Error);
}

}  // namespace
}  // namespace srsfs::codec
