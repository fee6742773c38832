#include "codec/nn_int.h"

#include <algorithm>
#include <limits>

#if defined(__SSE2__) && !defined(SRSFS_NN_SCALAR)
#include <emmintrin.h>
#endif

#include "codec/error.h"
#include "codec/nn_lut.h"

namespace srsfs::codec {
namespace {

using nn::act_lookup;
using nn::kOne;

uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
int64_t unzigzag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

struct Shape {
  int rows, cols;
  int64_t act_max;  // bound on |input| the layer sees (for the overflow check)
};

std::vector<Shape> shapes(ModelKind kind, int k, int h, int a) {
  switch (kind) {
    case ModelKind::fc: return {{h, k, kOne}, {h, h, 32767}, {a, h, 32767}};
    case ModelKind::lstm: return {{4 * h, 1 + h, kOne}, {a, h, kOne}};
    case ModelKind::gru: return {{3 * h, 1 + h, kOne}, {a, h, kOne}};
    default: return {};
  }
}

bool is_paper_kind(ModelKind k) { return k == ModelKind::fc || k == ModelKind::lstm || k == ModelKind::gru; }

constexpr int kMaxShift = 24;

int32_t round_shift(int64_t v, int s) {
  if (s > 0) v = (v + (int64_t(1) << (s - 1))) >> s;
  return int32_t(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max()));
}

int16_t mul_q12(int32_t a, int32_t b) { return int16_t((int64_t(a) * b + (kOne >> 1)) >> nn::kFrac); }

}  // namespace

size_t PaperNet::param_count() const {
  size_t n = b_hn.size();
  for (const auto& l : layers) n += l.w.size() + l.b.size();
  return n;
}

void validate_paper_net(const PaperNet& net, Errc code) {
  if (!is_paper_kind(net.kind)) fail(code, "paper model: kind {} is not fc, lstm or gru", int(net.kind));
  if (net.context < 1 || net.context > kPaperMaxContext)
    fail(code, "paper model: context {} outside [1, {}]", net.context, kPaperMaxContext);
  if (net.hidden < 1 || net.hidden > kPaperMaxHidden)
    fail(code, "paper model: hidden size {} outside [1, {}]", net.hidden, kPaperMaxHidden);
  if (!net.window.valid() || net.alphabet() < 2)
    fail(code, "paper model: window [{}, {}] must hold 0 and give 2..{} symbols", net.window.lo, net.window.hi,
         kMaxPaperAlphabet);
  if (uint8_t(net.escape) > uint8_t(EscapeCoding::smallest))
    fail(code, "paper model: unknown escape coding {}", int(net.escape));
  auto sh = shapes(net.kind, net.context, net.hidden, net.alphabet());
  if (net.layers.size() != sh.size()) fail(code, "paper model: {} layers, expected {}", net.layers.size(), sh.size());
  for (size_t i = 0; i < sh.size(); ++i) {
    const NnLayer& l = net.layers[i];
    if (l.rows != sh[i].rows || l.cols != sh[i].cols || l.w.size() != size_t(l.rows) * size_t(l.cols) ||
        l.b.size() != size_t(l.rows))
      fail(code, "paper model: layer {} is not {}x{}", i, sh[i].rows, sh[i].cols);
    if (l.shift > kMaxShift) fail(code, "paper model: layer {} scale 2^{} too fine", i, l.shift);
    for (int r = 0; r < l.rows; ++r) {
      int64_t l1 = 0;
      for (int c = 0; c < l.cols; ++c) l1 += std::abs(int64_t(l.w[size_t(r) * size_t(l.cols) + size_t(c)]));
      if (l1 * sh[i].act_max > std::numeric_limits<int32_t>::max())
        fail(code, "paper model: layer {} row {} could overflow a 32-bit sum", i, r);
    }
  }
  if (net.b_hn.size() != (net.kind == ModelKind::gru ? size_t(net.hidden) : 0))
    fail(code, "paper model: {} GRU hidden biases for hidden size {}", net.b_hn.size(), net.hidden);
}

Bytes serialize_paper_net(const PaperNet& net) {
  validate_paper_net(net, Errc::invalid_argument);
  Bytes out;
  ByteWriter w(out);
  w.u8(kPaperModelVersion);
  w.u8(uint8_t(net.kind));
  w.u8(uint8_t(net.context));
  w.u8(uint8_t(net.escape));
  w.varint(zigzag(net.window.lo));
  w.varint(zigzag(net.window.hi));
  w.varint(uint64_t(net.hidden));
  for (const auto& l : net.layers) {
    w.u8(l.shift);
    for (int16_t v : l.w) w.u16(uint16_t(v));
    for (int32_t v : l.b) w.u32(uint32_t(v));
  }
  for (int32_t v : net.b_hn) w.u32(uint32_t(v));
  return out;
}

PaperNet parse_paper_net(ByteSpan params, ModelKind expected_kind) {
  ByteReader r(params, "paper model");
  uint8_t version = r.u8();
  if (version != kPaperModelVersion) fail(Errc::corrupt, "paper model: version {} (this build reads {})", version, kPaperModelVersion);
  PaperNet net;
  net.kind = ModelKind(r.u8());
  if (net.kind != expected_kind)
    fail(Errc::corrupt, "paper model: parameters are for kind {}, the scan says {}", int(net.kind), int(expected_kind));
  net.context = r.u8();
  net.escape = EscapeCoding(r.u8());
  int64_t lo = unzigzag(r.varint()), hi = unzigzag(r.varint());
  uint64_t hidden = r.varint();
  if (lo < -65535 || lo > 0 || hi < 0 || hi > 65535 || hidden < 1 || hidden > kPaperMaxHidden || net.context < 1 ||
      net.context > kPaperMaxContext)
    fail(Errc::corrupt, "paper model: header out of range (window [{}, {}], hidden {}, context {})", lo, hi, hidden,
         net.context);
  net.window = {int32_t(lo), int32_t(hi)};
  net.hidden = int(hidden);
  if (!net.window.valid()) fail(Errc::corrupt, "paper model: alphabet {} exceeds {}", net.window.alphabet(), kMaxPaperAlphabet);
  if (!is_paper_kind(net.kind)) fail(Errc::corrupt, "paper model: kind {} is not fc, lstm or gru", int(net.kind));
  for (const Shape& s : shapes(net.kind, net.context, net.hidden, net.alphabet())) {
    size_t n = size_t(s.rows) * size_t(s.cols);
    if (r.remaining() < 1 + 2 * n + 4 * size_t(s.rows)) fail(Errc::corrupt, "paper model: truncated weights");
    NnLayer l;
    l.rows = s.rows;
    l.cols = s.cols;
    l.shift = r.u8();
    l.w.resize(n);
    for (auto& v : l.w) v = int16_t(r.u16());
    l.b.resize(size_t(s.rows));
    for (auto& v : l.b) v = int32_t(r.u32());
    net.layers.push_back(std::move(l));
  }
  if (net.kind == ModelKind::gru) {
    if (r.remaining() < 4 * size_t(net.hidden)) fail(Errc::corrupt, "paper model: truncated GRU biases");
    net.b_hn.resize(size_t(net.hidden));
    for (auto& v : net.b_hn) v = int32_t(r.u32());
  }
  r.expect_done();
  validate_paper_net(net, Errc::corrupt);
  return net;
}

PaperPredictor::Mat PaperPredictor::pad(const NnLayer& l) {
  Mat m;
  m.rows = l.rows;
  m.cols = l.cols;
  m.rows_pad = (l.rows + 15) / 16 * 16;
  m.shift = l.shift;
  const size_t pairs = (size_t(l.cols) + 1) / 2, R = size_t(m.rows_pad);
  m.wt.assign(pairs * R * 2, 0);
  for (size_t r = 0; r < size_t(l.rows); ++r)
    for (size_t c = 0; c < size_t(l.cols); ++c) m.wt[((c / 2) * R + r) * 2 + c % 2] = l.w[r * size_t(l.cols) + c];
  m.b = l.b;
  return m;
}

PaperPredictor::PaperPredictor(const PaperNet& net)
    : kind_(net.kind), context_(net.context), alphabet_(net.alphabet()), hidden_(net.hidden) {
  validate_paper_net(net, Errc::invalid_argument);
  for (int s = 0; s < alphabet_; ++s) input_q12_.push_back(paper_input_q12(net.window, s));
  for (const auto& l : net.layers) mats_.push_back(pad(l));
  b_hn_ = net.b_hn;
  if (kind_ != ModelKind::fc) {
    const NnLayer& l = net.layers[0];
    NnLayer hid{l.rows, l.cols - 1, l.shift, {}, l.b};
    for (int r = 0; r < l.rows; ++r) {
      gx_.push_back(l.w[size_t(r) * size_t(l.cols)]);
      for (int c = 1; c < l.cols; ++c) hid.w.push_back(l.w[size_t(r) * size_t(l.cols) + size_t(c)]);
    }
    gh_ = pad(hid);
  }
  int widest = 0;
  for (const auto& m : mats_) widest = std::max({widest, m.cols, m.rows_pad});
  x_.assign(size_t(widest), 0);
  h_.assign(size_t(widest), 0);
  c_.assign(size_t(hidden_), 0);
  pre_.assign(size_t(widest), 0);
  tmp_.assign(size_t(widest), 0);
  sum_.assign(size_t(widest), 0);
  logits_.assign(size_t(alphabet_), 0);
  e_.assign(size_t(alphabet_), 0);
  freq_.assign(size_t(alphabet_), 0);
}

// Two columns at a time over all rows (no horizontal sums; zero input pairs skipped). Every partial sum is
// a sub-sum of a row's terms, which validation bounds to int32, so neither the order nor SIMD vs scalar
// can change the result.
void PaperPredictor::matvec(const Mat& m, const int16_t* x) {
  const size_t R = size_t(m.rows_pad);
  int32_t* acc = sum_.data();
  std::fill_n(acc, R, 0);
  for (int c = 0; c < m.cols; c += 2) {
    const int16_t x0 = x[c], x1 = c + 1 < m.cols ? x[c + 1] : int16_t(0);
    if ((x0 | x1) == 0) continue;
    const int16_t* w = &m.wt[size_t(c / 2) * R * 2];
#if defined(__SSE2__) && !defined(SRSFS_NN_SCALAR)
    const __m128i xp = _mm_set1_epi32(int32_t(uint32_t(uint16_t(x0)) | (uint32_t(uint16_t(x1)) << 16)));
    for (size_t r = 0; r < R; r += 4) {
      __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2 * r));
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + r));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(acc + r), _mm_add_epi32(a, _mm_madd_epi16(wv, xp)));
    }
#else
    for (size_t r = 0; r < R; ++r) acc[r] += int32_t(w[2 * r]) * x0 + int32_t(w[2 * r + 1]) * x1;
#endif
  }
}

void PaperPredictor::linear(const Mat& m, const int16_t* x, int32_t* out_q12) {
  matvec(m, x);
  for (int r = 0; r < m.rows; ++r) out_q12[r] = round_shift(int64_t(sum_[size_t(r)]) + m.b[size_t(r)], m.shift);
}

const uint16_t* PaperPredictor::predict(const uint16_t* ctx) {
  const int H = hidden_;
  const nn::ActTables& T = nn::act_tables();
  if (kind_ == ModelKind::fc) {
    std::fill(x_.begin(), x_.end(), int16_t(0));
    for (int k = 0; k < context_; ++k) x_[size_t(k)] = input_q12_[ctx[k]];
    for (int layer = 0; layer < 2; ++layer) {
      linear(mats_[size_t(layer)], x_.data(), pre_.data());
      std::fill(x_.begin(), x_.end(), int16_t(0));
      for (int i = 0; i < H; ++i) x_[size_t(i)] = int16_t(std::clamp(pre_[size_t(i)], 0, 32767));
    }
    linear(mats_[2], x_.data(), logits_.data());
  } else {
    // h_ holds h_1 .. h_H (zero padded); state starts at zero for every pixel. The input column of the
    // gate matrix (gx_) is applied apart from the hidden columns (gh_): same integer sum, less padding.
    std::fill(h_.begin(), h_.end(), int16_t(0));
    std::fill(c_.begin(), c_.end(), 0);
    const Mat& g = gh_;
    const int32_t* b = gh_.b.data();
    const int shift = g.shift;
    for (int k = 0; k < context_; ++k) {
      const int64_t in = input_q12_[ctx[k]];
      matvec(g, h_.data());
      const int32_t* acc = sum_.data();
      if (kind_ == ModelKind::lstm) {
        for (int i = 0; i < H; ++i) {
          auto pre = [&](int r) { return round_shift(acc[size_t(r)] + gx_[size_t(r)] * in + b[r], shift); };
          int32_t ig = act_lookup(T.sigmoid, pre(i));
          int32_t fg = act_lookup(T.sigmoid, pre(H + i));
          int32_t gg = act_lookup(T.tanh, pre(2 * H + i));
          int32_t og = act_lookup(T.sigmoid, pre(3 * H + i));
          int64_t c = (int64_t(fg) * c_[size_t(i)] + int64_t(ig) * gg + (kOne >> 1)) >> nn::kFrac;
          c_[size_t(i)] = int32_t(c);  // |c| <= context + 1 in Q12
          h_[size_t(i)] = mul_q12(og, act_lookup(T.tanh, c));
        }
      } else {
        for (int i = 0; i < H; ++i) {
          int32_t rg = act_lookup(T.sigmoid, round_shift(acc[size_t(i)] + gx_[size_t(i)] * in + b[i], shift));
          int32_t zg = act_lookup(T.sigmoid, round_shift(acc[size_t(H + i)] + gx_[size_t(H + i)] * in + b[H + i], shift));
          size_t rn = size_t(2 * H + i);
          int64_t ih = gx_[rn] * in + b[rn];
          int64_t hh = acc[rn] + b_hn_[size_t(i)];
          int64_t pre = ih + ((int64_t(rg) * hh + (kOne >> 1)) >> nn::kFrac);
          int32_t n = act_lookup(T.tanh, round_shift(pre, shift));
          int64_t h = (int64_t(kOne - zg) * n + int64_t(zg) * h_[size_t(i)] + (kOne >> 1)) >> nn::kFrac;
          tmp_[size_t(i)] = int32_t(h);
        }
        for (int i = 0; i < H; ++i) h_[size_t(i)] = int16_t(tmp_[size_t(i)]);
      }
    }
    linear(mats_[1], h_.data(), logits_.data());
  }
  to_freqs();
  return freq_.data();
}

// Integer softmax: e_i = exp(z_i - max) in Q30 from the table; f_i = 1 + floor(e_i * budget / sum) with
// budget = 2^16 - A, done with one division; what rounding leaves goes to the most probable symbol.
void PaperPredictor::to_freqs() {
  const int A = alphabet_;
  int32_t m = logits_[0];
  int arg = 0;
  for (int i = 1; i < A; ++i)
    if (logits_[size_t(i)] > m) m = logits_[size_t(i)], arg = i;
  const uint32_t* table = nn::act_tables().exp;
  uint64_t sum = 0;
  for (int i = 0; i < A; ++i) {
    e_[size_t(i)] = nn::exp_lookup(table, int64_t(m) - logits_[size_t(i)]);
    sum += e_[size_t(i)];
  }
  const uint64_t budget = (uint64_t(1) << kPaperFreqBits) - uint64_t(A);
  const uint64_t mult = (budget << 32) / sum;  // sum >= 2^30 (the maximum's own term)
  uint32_t total = 0;
  for (int i = 0; i < A; ++i) {
    uint32_t f = 1 + uint32_t((uint64_t(e_[size_t(i)]) * mult) >> 32);
    freq_[size_t(i)] = uint16_t(f);
    total += f;
  }
  freq_[size_t(arg)] = uint16_t(freq_[size_t(arg)] + ((1u << kPaperFreqBits) - total));
}

}  // namespace srsfs::codec
