#include "codec/lms_codec.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "codec/error.h"
#include "codec/least_squares.h"
#include "codec/logistic_coder.h"
#include "codec/range_coder.h"
#include "codec/scale_context.h"

namespace srsfs::codec {
namespace {

// Version 1: LS prediction, context bias and scale. Version 2 (written now) adds the residual cascade below.
// Both decode forever.
constexpr uint8_t kBlockVersionLs = 1;
constexpr uint8_t kBlockVersionCascade = 2;
constexpr uint8_t kFlagPerFrameWeights = 1;
constexpr int kKeyFeatures = 7;
constexpr int kTemporalFeatures = 21;
constexpr int kHistory = 8;  // previous frames a temporal prediction looks at
constexpr int kPad = 2;      // zero border of the per-frame planes (WW, NN, NE reach 2 away)

using KeyWeights = std::array<int16_t, kKeyFeatures>;
using TemporalWeights = std::array<int16_t, kTemporalFeatures>;

// A (rows + 2·pad) × (width + 2·pad) int32 plane whose border reads as zero.
class PaddedPlane {
 public:
  PaddedPlane(uint32_t rows, uint32_t width)
      : stride_(size_t(width) + 2 * kPad), v_((size_t(rows) + 2 * kPad) * stride_, 0) {}
  int32_t* row(int y) { return v_.data() + size_t(y + kPad) * stride_ + kPad; }
  const int32_t* row(int y) const { return v_.data() + size_t(y + kPad) * stride_ + kPad; }
  void clear() { std::fill(v_.begin(), v_.end(), 0); }
  void swap(PaddedPlane& o) noexcept {
    std::swap(stride_, o.stride_);
    v_.swap(o.v_);
  }

 private:
  size_t stride_;
  std::vector<int32_t> v_;
};

// Key frame: causal neighbours with edge substitutes, the MED (LOCO-I) base, features relative to it.
inline int32_t key_features(const uint16_t* cur, uint32_t width, int y, int x, int32_t* f) {
  auto px = [&](int yy, int xx) { return int32_t(cur[size_t(yy) * width + size_t(xx)]); };
  const int w = int(width);
  int32_t W = x > 0 ? px(y, x - 1) : (y > 0 ? px(y - 1, x) : 0);
  int32_t N = y > 0 ? px(y - 1, x) : W;
  int32_t NW = (y > 0 && x > 0) ? px(y - 1, x - 1) : N;
  int32_t NE = (y > 0 && x + 1 < w) ? px(y - 1, x + 1) : N;
  int32_t WW = x > 1 ? px(y, x - 2) : W;
  int32_t NN = y > 1 ? px(y - 2, x) : N;
  int32_t mx = std::max(W, N), mn = std::min(W, N);
  int32_t b = NW >= mx ? mn : (NW <= mn ? mx : W + N - NW);
  f[0] = W - b;
  f[1] = N - b;
  f[2] = NW - b;
  f[3] = NE - b;
  f[4] = WW - b;
  f[5] = NN - b;
  f[6] = 16;
  return b;
}

// Temporal frame: D = current - previous frame at causal positions (zero elsewhere), plus history.
struct TemporalInputs {
  const uint16_t* p[kHistory];  // p[0] = previous frame, p[1] = the one before, ...
  const uint32_t* sum;          // per pixel, the sum of every earlier frame of the block
  uint32_t count;               // how many frames that sum holds
  uint64_t count_recip;         // ceil(2^64 / count) for count >= 2: exact division of 32-bit numerators
  uint32_t rows, width;
};

// floor(16·sum / count) without a 64-bit division per pixel: for numerators below 2^32 a multiply by
// ceil(2^64 / count) and a shift is exact (the error term stays below 2^-32 < 1/count).
inline uint64_t mean16(const TemporalInputs& in, uint32_t sum) {
  const uint64_t n = uint64_t(sum) * 16;
  if (in.count == 1) return n;
  if (n >> 32) return n / in.count;
  return uint64_t((unsigned __int128)n * in.count_recip >> 64);
}

// kInterior: (y, x) has all eight neighbours inside the band, so no edge substitutes are needed.
template <bool kInterior>
inline int32_t temporal_features(const TemporalInputs& in, const PaddedPlane& d, int y, int x, int32_t* f) {
  const size_t w = in.width;
  const size_t i = size_t(y) * w + size_t(x);
  const int32_t p1 = in.p[0][i];
  const int32_t* dr = d.row(y);
  const int32_t* dn = d.row(y - 1);
  const int32_t* dnn = d.row(y - 2);
  f[0] = dr[x - 1];
  f[1] = dn[x];
  f[2] = dn[x - 1];
  f[3] = dn[x + 1];
  f[4] = dr[x - 2];
  f[5] = dnn[x];
  f[6] = int32_t(in.p[1][i]) - p1;
  f[7] = int32_t(in.p[2][i]) - p1;
  f[8] = int32_t(in.p[3][i]) - p1;
  f[12] = int32_t(in.p[4][i]) - p1;
  f[13] = int32_t(in.p[5][i]) - p1;
  f[14] = int32_t(in.p[6][i]) - p1;
  f[15] = int32_t(in.p[7][i]) - p1;
  // Long-run mean of the pixel, in 1/16 grey levels: near-static pixels are predicted far below the noise.
  f[16] = int32_t(mean16(in, in.sum[i])) - p1 * 16;
  const uint16_t* p = in.p[0];
  size_t xl, xr, yu, yd, ul, dr_, ur, dl;
  if constexpr (kInterior) {
    xl = i - 1, xr = i + 1, yu = i - w, yd = i + w, ul = i - w - 1, dr_ = i + w + 1, ur = i - w + 1, dl = i + w - 1;
  } else {
    xl = x > 0 ? i - 1 : i, xr = size_t(x) + 1 < w ? i + 1 : i;
    yu = y > 0 ? i - w : i, yd = uint32_t(y) + 1 < in.rows ? i + w : i;
    ul = y > 0 && x > 0 ? i - w - 1 : i, dr_ = uint32_t(y) + 1 < in.rows && size_t(x) + 1 < w ? i + w + 1 : i;
    ur = y > 0 && size_t(x) + 1 < w ? i - w + 1 : i, dl = uint32_t(y) + 1 < in.rows && x > 0 ? i + w - 1 : i;
  }
  f[9] = int32_t(p[xl]) + int32_t(p[xr]) - 2 * p1;
  f[10] = int32_t(p[yu]) + int32_t(p[yd]) - 2 * p1;
  f[11] = 16;
  // Gradients and the diagonal curvature of the previous frame: a rotation moves texture sideways.
  f[17] = int32_t(p[xl]) - int32_t(p[xr]);
  f[18] = int32_t(p[yu]) - int32_t(p[yd]);
  f[19] = int32_t(p[ul]) + int32_t(p[dr_]) - 2 * p1;
  f[20] = int32_t(p[ur]) + int32_t(p[dl]) - 2 * p1;
  return p1;
}

template <int N>
inline int32_t predict16(int32_t base, const int32_t* f, const std::array<int16_t, N>& w) {
  int64_t acc = 0;
  for (int k = 0; k < N; ++k) acc += int64_t(w[size_t(k)]) * f[k];
  // Q12 weights → 1/16 grey levels, rounded half up; clamped to a sane range.
  int64_t p = int64_t(base) * 16 + ((acc + 128) >> 8);
  return int32_t(std::clamp<int64_t>(p, -16, int64_t(65535) * 16 + 15));
}

TemporalInputs temporal_inputs(const BlockView& b, uint32_t t, const std::vector<uint32_t>& sum) {
  TemporalInputs in{};
  in.sum = sum.data();
  in.count = t;
  in.count_recip = t >= 2 ? ~uint64_t(0) / t + 1 : 0;
  in.rows = b.rows;
  in.width = b.width;
  for (int k = 0; k < kHistory; ++k) {
    // Frames before the block's start repeat the oldest one available.
    uint32_t back = std::min<uint32_t>(uint32_t(k) + 1, t);
    in.p[k] = b.frame(t - back);
  }
  return in;
}

// Per-pixel sum of the frames seen so far in the block (at most 2^16 frames of 16 bits: fits 32 bits).
struct RunningSum {
  std::vector<uint32_t> v;
  explicit RunningSum(const BlockView& b) : v(b.frame_pixels(), 0) {}
  void add(const uint16_t* frame) {
    for (size_t i = 0; i < v.size(); ++i) v[i] += frame[i];
  }
};

// Version 2's second stage: the LS prediction leaves residuals that are still correlated with the residuals
// next to them (here and in the two previous frames), since one set of weights per band cannot follow local
// texture. A sign-sign LMS filter over 24 such residuals corrects the prediction per pixel, and a second
// one over the 6 nearest residuals of the first refines it again; they adapt as they code, so they cost no
// side information (measured: CHESS -0.8, I13 -0.35 CR points).
template <int kTaps>
class ResidualCascade {
 public:
  static_assert(kTaps > 0 && kTaps <= 24);
  // Q12 weights. The bounds keep the sum within int32: 24 · 2^14 · 2^12 < 2^31.
  static constexpr int32_t kStep = 1, kMaxWeight = 1 << 14, kMaxResidual = 1 << 12;

  ResidualCascade(uint32_t rows, uint32_t width) : cur_(rows, width), prev_(rows, width), prev2_(rows, width) {}

  // Correction of pred16 at (y, x), in 1/16 grey levels; gathers the taps for update(). The order of the taps
  // is part of the format (docs/format.md §4).
  int32_t correction(int y, int x) {
    const int32_t* c0 = cur_.row(y);  // this frame: only causal positions are filled
    const int32_t* c1 = cur_.row(y - 1);
    const int32_t* c2 = cur_.row(y - 2);
    const int32_t* p0 = prev_.row(y);  // previous frame: complete, so both sides count
    const int32_t* pn = prev_.row(y - 1);
    const int32_t* ps = prev_.row(y + 1);
    const int32_t taps[24] = {c0[x - 1], c1[x],     c1[x - 1], c1[x + 1], p0[x],     c0[x - 2],
                              p0[x - 1], p0[x + 1], pn[x],     ps[x],     c2[x],     c1[x + 2],
                              pn[x - 1], pn[x + 1], ps[x - 1], ps[x + 1], prev2_.row(y)[x], p0[x - 2],
                              p0[x + 2], prev_.row(y - 2)[x], prev_.row(y + 2)[x], c1[x - 2], c2[x - 1], c2[x + 1]};
    std::copy_n(taps, kTaps, r_.begin());  // a shorter filter takes the first taps: the nearest ones
    int32_t acc = 0;
    for (int k = 0; k < kTaps; ++k) acc += w_[size_t(k)] * r_[size_t(k)];
    return acc >> 12;
  }
  // residual16: 16·value − this filter's input prediction; err16: 16·value − the coded mean.
  void update(int y, int x, int32_t residual16, int32_t err16) {
    cur_.row(y)[x] = std::clamp(residual16, -kMaxResidual, kMaxResidual);
    if (err16 == 0) return;
    const int32_t neg = err16 < 0 ? -1 : 0;  // a step towards the residual's sign, or away on a negative error
    for (int k = 0; k < kTaps; ++k) {
      const int32_t r = r_[size_t(k)];
      const int32_t step = ((r > 0) - (r < 0)) * kStep;
      const int32_t v = w_[size_t(k)] + ((step ^ neg) - neg);
      w_[size_t(k)] = v < -kMaxWeight ? -kMaxWeight : (v > kMaxWeight ? kMaxWeight : v);
    }
  }
  void start_frame() {
    prev2_.swap(prev_);
    prev_.swap(cur_);
    cur_.clear();
  }

 private:
  PaddedPlane cur_, prev_, prev2_;
  std::array<int32_t, kTaps> w_{};
  std::array<int32_t, kTaps> r_{};
};

// The coding loop, shared by encoder and decoder so that both compute every probability identically.
// Coder::code(value_or_unused, mu16, s16) returns the value (encoding it, or decoding it). kCascade selects
// block version 2.
template <class Coder, bool kCascade>
class FrameLoop {
 public:
  FrameLoop(uint32_t rows, uint32_t width)
      : rows_(rows), width_(width), d_(rows, width), e_cur_(rows, width), e_prev_(rows, width),
        cascade_(kCascade ? rows : 0, kCascade ? width : 0), refine_(kCascade ? rows : 0, kCascade ? width : 0) {}

  void key_frame(Coder& c, uint16_t* cur, const KeyWeights& w) {
    int32_t f[kKeyFeatures];
    e_cur_.clear();
    if constexpr (kCascade) {
      cascade_.start_frame();
      refine_.start_frame();
    }
    for (int y = 0; y < int(rows_); ++y) {
      int32_t* er = e_cur_.row(y);
      const int32_t* en = e_cur_.row(y - 1);
      for (int x = 0; x < int(width_); ++x) {
        int32_t base = key_features(cur, width_, y, x, f);
        uint32_t act = uint32_t(3 * er[x - 1] + 3 * en[x] + en[x - 1] + en[x + 1]);
        size_t i = size_t(y) * width_ + size_t(x);
        cur[i] = code_pixel(c, key_ctx_, cur[i], predict16<kKeyFeatures>(base, f, w), act, base, er[x], y, x);
      }
    }
    e_prev_.swap(e_cur_);
  }

  void temporal_frame(Coder& c, uint16_t* cur, const TemporalInputs& in, const TemporalWeights& w) {
    int32_t f[kTemporalFeatures];
    d_.clear();
    e_cur_.clear();
    if constexpr (kCascade) {
      cascade_.start_frame();
      refine_.start_frame();
    }
    for (int y = 0; y < int(rows_); ++y) {
      int32_t* er = e_cur_.row(y);
      const int32_t* en = e_cur_.row(y - 1);
      const int32_t* ep = e_prev_.row(y);
      int32_t* dr = d_.row(y);
      for (int x = 0; x < int(width_); ++x) {
        const bool interior = y > 0 && uint32_t(y) + 1 < rows_ && x > 0 && uint32_t(x) + 1 < width_;
        int32_t base = interior ? temporal_features<true>(in, d_, y, x, f) : temporal_features<false>(in, d_, y, x, f);
        uint32_t act = uint32_t(2 * er[x - 1] + 2 * en[x] + en[x - 1] + en[x + 1] + 2 * ep[x]);
        size_t i = size_t(y) * width_ + size_t(x);
        cur[i] = code_pixel(c, temporal_ctx_, cur[i], predict16<kTemporalFeatures>(base, f, w), act, base, er[x], y, x);
        dr[x] = int32_t(cur[i]) - base;
      }
    }
    e_prev_.swap(e_cur_);
  }

 private:
  uint16_t code_pixel(Coder& c, ScaleContexts& ctx, uint16_t value, const int32_t ls_pred16, uint32_t act,
                      int32_t base, int32_t& e_out, int y, int x) {
    int32_t pred16 = ls_pred16, cascade_pred16 = 0;
    if constexpr (kCascade) {
      pred16 += cascade_.correction(y, x);
      cascade_pred16 = pred16;
      pred16 += refine_.correction(y, x);
      // How far the prediction moved from the base also tells how uncertain it is.
      act += uint32_t(std::min<int64_t>(std::abs(int64_t(pred16) - 16 * int64_t(base)) >> 2, int64_t(1) << 24));
    }
    ScaleContexts::Entry& e = ctx[ScaleContexts::index(act, base)];
    int32_t mu16 = pred16 + ScaleContexts::bias16(e);
    int32_t s16 = ScaleContexts::scale16(e, act);
    uint32_t v = c.code(value, mu16, s16);
    int32_t v16 = int32_t(v) * 16;
    ScaleContexts::update(e, v16 - pred16, std::abs(v16 - mu16));
    e_out = std::min(std::abs(v16 - mu16) >> 4, 65535);
    if constexpr (kCascade) {
      cascade_.update(y, x, v16 - ls_pred16, v16 - mu16);
      refine_.update(y, x, v16 - cascade_pred16, v16 - mu16);
    }
    return uint16_t(v);
  }

  uint32_t rows_, width_;
  PaddedPlane d_, e_cur_, e_prev_;
  ResidualCascade<24> cascade_;
  ResidualCascade<6> refine_;
  ScaleContexts key_ctx_, temporal_ctx_;
};

struct EncodeCoder {
  RangeEncoder& enc;
  uint32_t code(uint16_t value, int32_t mu16, int32_t s16) {
    encode_logistic(enc, value, mu16, s16);
    return value;
  }
};

struct DecodeCoder {
  RangeDecoder& dec;
  uint32_t code(uint16_t, int32_t mu16, int32_t s16) { return decode_logistic(dec, mu16, s16); }
};

// Least-squares fits, subsampled on large blocks: ~8 K samples pin down 21 weights (measured: CR within
// 0.02 points of fitting every pixel), and the normal equations cost ~250 multiply-adds per sample, more
// than coding the pixel.
int fit_step(size_t samples) {
  int step = 1;
  while (samples / size_t(step * step) > (1u << 13)) ++step;
  return step;
}

KeyWeights fit_key(const BlockView& b) {
  LeastSquares<kKeyFeatures> ls;
  const int step = fit_step(b.frame_pixels());
  int32_t f[kKeyFeatures];
  const uint16_t* cur = b.frame(0);
  for (int y = 0; y < int(b.rows); y += step)
    for (int x = 0; x < int(b.width); x += step) {
      int32_t base = key_features(cur, b.width, y, x, f);
      ls.add(f, int32_t(cur[size_t(y) * b.width + size_t(x)]) - base);
    }
  return ls.solve_q12();
}

// Per-frame weights when a frame of the band is large enough to carry them (34 bytes each): the best mix of
// the previous frame, the older ones and the running mean shifts as the group goes on.
constexpr size_t kPerFrameWeightsMinPixels = 1u << 14;

std::vector<TemporalWeights> fit_temporal(const BlockView& b, bool per_frame) {
  std::vector<LeastSquares<kTemporalFeatures>> ls(per_frame ? b.frames - 1 : 1);
  const size_t total = per_frame ? b.frame_pixels() : b.frame_pixels() * (b.frames - 1);
  const int step = fit_step(total);
  PaddedPlane d(b.rows, b.width);
  int32_t f[kTemporalFeatures];
  RunningSum sum(b);
  for (uint32_t t = 1; t < b.frames; ++t) {
    sum.add(b.frame(t - 1));
    TemporalInputs in = temporal_inputs(b, t, sum.v);
    const uint16_t* cur = b.frame(t);
    for (int y = 0; y < int(b.rows); ++y) {
      int32_t* dr = d.row(y);
      for (int x = 0; x < int(b.width); ++x) dr[x] = int32_t(cur[size_t(y) * b.width + size_t(x)]) - in.p[0][size_t(y) * b.width + size_t(x)];
    }
    auto& acc = ls[per_frame ? t - 1 : 0];
    for (int y = int(t % uint32_t(step)); y < int(b.rows); y += step)
      for (int x = 0; x < int(b.width); x += step) {
        int32_t base = temporal_features<false>(in, d, y, x, f);
        acc.add(f, int32_t(cur[size_t(y) * b.width + size_t(x)]) - base);
      }
  }
  std::vector<TemporalWeights> out;
  for (const auto& a : ls) out.push_back(a.solve_q12());
  return out;
}

class LmsBlockCodec final : public BlockCodec {
 public:
  Bytes encode(const BlockView& block) const override { return encode_lms_block(block); }
  void decode(ByteSpan data, const MutableBlockView& out) const override { decode_lms_block(data, out); }
  void decode_prefix(ByteSpan data, const MutableBlockView& out, uint32_t frames) const override {
    decode_lms_block(data, out, std::max(frames, 1u));
  }
};

}  // namespace

namespace {

template <bool kCascade>
void encode_pixels(const BlockView& b, const KeyWeights& kw, const std::vector<TemporalWeights>& tw, bool per_frame,
                   Bytes& out) {
  RangeEncoder enc(out);
  EncodeCoder coder{enc};
  FrameLoop<EncodeCoder, kCascade> loop(b.rows, b.width);
  // The loop writes back the values it codes; the encoder codes a scratch copy of each frame.
  std::vector<uint16_t> scratch(b.frame_pixels());
  std::memcpy(scratch.data(), b.frame(0), scratch.size() * 2);
  loop.key_frame(coder, scratch.data(), kw);
  RunningSum sum(b);
  for (uint32_t t = 1; t < b.frames; ++t) {
    std::memcpy(scratch.data(), b.frame(t), scratch.size() * 2);
    sum.add(b.frame(t - 1));
    loop.temporal_frame(coder, scratch.data(), temporal_inputs(b, t, sum.v), tw[per_frame ? t - 1 : 0]);
  }
  enc.finish();
}

template <bool kCascade>
void decode_pixels(ByteSpan payload, const MutableBlockView& out, uint32_t frames, const KeyWeights& kw,
                   const std::vector<TemporalWeights>& tw, bool per_frame) {
  RangeDecoder dec(payload);
  DecodeCoder coder{dec};
  FrameLoop<DecodeCoder, kCascade> loop(out.rows, out.width);
  loop.key_frame(coder, out.frame(0), kw);
  const BlockView done = out.view();
  RunningSum sum(done);
  const uint32_t last = std::min(frames, out.frames);
  for (uint32_t t = 1; t < last; ++t) {
    sum.add(done.frame(t - 1));
    loop.temporal_frame(coder, out.frame(t), temporal_inputs(done, t, sum.v), tw[per_frame ? t - 1 : 0]);
  }
  // A valid stream ends within the encoder's 5 flush bytes; reading far past it means truncation.
  if (last == out.frames && dec.overrun() > 4) fail(Errc::corrupt, "lms block: coded data truncated ({} bytes missing)", dec.overrun());
}

}  // namespace

Bytes encode_lms_block(const BlockView& b, LmsBlockVersion version) {
  const bool cascade = version == LmsBlockVersion::cascade;
  Bytes out;
  ByteWriter w(out);
  w.u8(cascade ? kBlockVersionCascade : kBlockVersionLs);
  if (b.frames == 0 || b.frame_pixels() == 0) return out;
  const bool per_frame = b.frames > 2 && b.frame_pixels() >= kPerFrameWeightsMinPixels;
  w.u8(per_frame ? kFlagPerFrameWeights : 0);
  KeyWeights kw = fit_key(b);
  std::vector<TemporalWeights> tw;
  if (b.frames > 1) tw = fit_temporal(b, per_frame);
  for (int16_t v : kw) w.u16(uint16_t(v));
  for (const auto& set : tw)
    for (int16_t v : set) w.u16(uint16_t(v));
  if (cascade) {
    encode_pixels<true>(b, kw, tw, per_frame, out);
  } else {
    encode_pixels<false>(b, kw, tw, per_frame, out);
  }
  return out;
}

void decode_lms_block(ByteSpan data, const MutableBlockView& out, uint32_t frames) {
  ByteReader r(data, "lms block");
  const uint8_t version = r.u8();
  if (version != kBlockVersionLs && version != kBlockVersionCascade)
    fail(Errc::corrupt, "lms block: unknown version {} (this build reads 1 and 2)", version);
  if (out.frames == 0 || out.frame_pixels() == 0) return r.expect_done();
  const uint8_t flags = r.u8();
  if (flags & ~kFlagPerFrameWeights) fail(Errc::corrupt, "lms block: unknown flags {:#x}", flags);
  const bool per_frame = flags & kFlagPerFrameWeights;
  if (per_frame && out.frames < 3) fail(Errc::corrupt, "lms block: per-frame weights in a block of {} frames", out.frames);
  KeyWeights kw{};
  for (auto& v : kw) v = int16_t(r.u16());
  std::vector<TemporalWeights> tw(out.frames > 1 ? (per_frame ? out.frames - 1 : 1) : 0);
  if (tw.size() * sizeof(TemporalWeights) > r.remaining()) fail(Errc::corrupt, "lms block: truncated weights");
  for (auto& set : tw)
    for (auto& v : set) v = int16_t(r.u16());
  ByteSpan payload = r.bytes(r.remaining());
  if (version == kBlockVersionCascade) {
    decode_pixels<true>(payload, out, frames, kw, tw, per_frame);
  } else {
    decode_pixels<false>(payload, out, frames, kw, tw, per_frame);
  }
}

std::unique_ptr<BlockCodec> make_lms_block_codec() { return std::make_unique<LmsBlockCodec>(); }

}  // namespace srsfs::codec
