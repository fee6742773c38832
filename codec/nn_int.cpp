#include "codec/nn_int.h"

#include <algorithm>
#include <limits>

#include "codec/error.h"
#include "codec/nn_lut.h"

namespace srsfs::codec {
namespace {

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

// Sum of 16-element int16 products at a time; n is a multiple of 16. Bounds validated at parse time keep
// every partial sum inside int32, so the order of additions (vectorised or not) cannot change the result.
inline int32_t dot(const int16_t* w, const int16_t* x, int n) {
  int32_t acc = 0;
  for (int i = 0; i < n; i += 16) {
    int32_t s = 0;
    for (int j = 0; j < 16; ++j) s += int32_t(w[i + j]) * int32_t(x[i + j]);
    acc += s;
  }
  return acc;
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
  m.stride = (l.cols + 15) / 16 * 16;
  m.shift = l.shift;
  m.w.assign(size_t(m.rows) * size_t(m.stride), 0);
  for (int r = 0; r < l.rows; ++r)
    std::copy_n(l.w.begin() + ptrdiff_t(r) * l.cols, l.cols, m.w.begin() + ptrdiff_t(r) * m.stride);
  m.b = l.b;
  return m;
}

PaperPredictor::PaperPredictor(const PaperNet& net)
    : kind_(net.kind), context_(net.context), alphabet_(net.alphabet()), hidden_(net.hidden) {
  validate_paper_net(net, Errc::invalid_argument);
  for (int s = 0; s < alphabet_; ++s) input_q12_.push_back(paper_input_q12(net.window, s));
  for (const auto& l : net.layers) mats_.push_back(pad(l));
  b_hn_ = net.b_hn;
  int widest = 0;
  for (const auto& m : mats_) widest = std::max({widest, m.stride, m.rows});
  x_.assign(size_t(widest), 0);
  h_.assign(size_t(widest), 0);
  c_.assign(size_t(hidden_), 0);
  pre_.assign(size_t(widest), 0);
  tmp_.assign(size_t(widest), 0);
  acc_.assign(size_t(widest), 0);
  logits_.assign(size_t(alphabet_), 0);
  e_.assign(size_t(alphabet_), 0);
  freq_.assign(size_t(alphabet_), 0);
}

void PaperPredictor::linear(const Mat& m, const int16_t* x, int32_t* out_q12) const {
  for (int r = 0; r < m.rows; ++r) {
    int64_t acc = int64_t(dot(&m.w[size_t(r) * size_t(m.stride)], x, m.stride)) + m.b[size_t(r)];
    out_q12[r] = round_shift(acc, m.shift);
  }
}

const uint16_t* PaperPredictor::predict(const uint16_t* ctx) {
  const int H = hidden_;
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
    // x_ holds [input, h_1 .. h_H, zero padding]; the state starts at zero for every pixel.
    std::fill(x_.begin(), x_.end(), int16_t(0));
    std::fill(c_.begin(), c_.end(), 0);
    const Mat& g = mats_[0];
    for (int k = 0; k < context_; ++k) {
      int16_t in = input_q12_[ctx[k]];
      x_[0] = in;
      if (kind_ == ModelKind::lstm) {
        linear(g, x_.data(), pre_.data());
        for (int i = 0; i < H; ++i) {
          int32_t ig = nn::sigmoid_q12(pre_[size_t(i)]);
          int32_t fg = nn::sigmoid_q12(pre_[size_t(H + i)]);
          int32_t gg = nn::tanh_q12(pre_[size_t(2 * H + i)]);
          int32_t og = nn::sigmoid_q12(pre_[size_t(3 * H + i)]);
          int64_t c = (int64_t(fg) * c_[size_t(i)] + int64_t(ig) * gg + (kOne >> 1)) >> nn::kFrac;
          c_[size_t(i)] = int32_t(c);  // |c| <= context + 1 in Q12
          x_[size_t(1 + i)] = mul_q12(og, nn::tanh_q12(c));
        }
      } else {
        for (int r = 0; r < 3 * H; ++r) {
          int64_t full = dot(&g.w[size_t(r) * size_t(g.stride)], x_.data(), g.stride);
          acc_[size_t(r)] = full;
        }
        for (int i = 0; i < H; ++i) {
          int32_t rg = nn::sigmoid_q12(round_shift(acc_[size_t(i)] + g.b[size_t(i)], g.shift));
          int32_t zg = nn::sigmoid_q12(round_shift(acc_[size_t(H + i)] + g.b[size_t(H + i)], g.shift));
          size_t rn = size_t(2 * H + i);
          int64_t ih = int64_t(g.w[rn * size_t(g.stride)]) * in + g.b[rn];
          int64_t hh = acc_[rn] - int64_t(g.w[rn * size_t(g.stride)]) * in + b_hn_[size_t(i)];
          int64_t pre = ih + ((int64_t(rg) * hh + (kOne >> 1)) >> nn::kFrac);
          int32_t n = nn::tanh_q12(round_shift(pre, g.shift));
          int64_t h = (int64_t(kOne - zg) * n + int64_t(zg) * x_[size_t(1 + i)] + (kOne >> 1)) >> nn::kFrac;
          tmp_[size_t(i)] = int32_t(h);
        }
        for (int i = 0; i < H; ++i) x_[size_t(1 + i)] = int16_t(tmp_[size_t(i)]);
      }
    }
    std::fill(h_.begin(), h_.end(), int16_t(0));
    std::copy_n(x_.begin() + 1, H, h_.begin());
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
  uint64_t sum = 0;
  for (int i = 0; i < A; ++i) {
    e_[size_t(i)] = nn::exp_neg_q30(int64_t(m) - logits_[size_t(i)]);
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
