#include "codec/train/paper_train.h"
#include "codec/synth_random.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "codec/error.h"
#include "codec/paper_codec.h"

namespace srsfs::codec {
namespace {

// splitmix64: a fixed, portable generator for sample positions.
struct Rng {
  uint64_t s;
  uint64_t next() {
    return synth::splitmix64(s);
  }
};

// Mapped symbols of every run, frames 1.. of each.
struct SymbolRuns {
  struct Run {
    uint32_t frames;
    size_t n;
    std::vector<uint16_t> sym;  // (frames - 1) x n
  };
  std::vector<Run> runs;
  size_t positions = 0;
};

SymbolRuns map_runs(const std::vector<BlockView>& seqs, const TruncWindow& w) {
  SymbolRuns r;
  for (const BlockView& b : seqs) {
    if (b.frames < 2 || b.frame_pixels() == 0) continue;
    SymbolRuns::Run run{b.frames, b.frame_pixels(), {}};
    run.sym.resize(run.n * (b.frames - 1));
    for (uint32_t t = 1; t < b.frames; ++t)
      for (size_t p = 0; p < run.n; ++p)
        run.sym[run.n * (t - 1) + p] = w.map(int32_t(b.frame(t)[p]) - int32_t(b.frame(t - 1)[p]));
    r.positions += run.sym.size();
    r.runs.push_back(std::move(run));
  }
  return r;
}

// Samples: K context symbols + target, as in the block coder (frames before 1 read as d = 0).
struct Samples {
  std::vector<uint16_t> ctx;  // count x K
  std::vector<int64_t> target;
  size_t size() const { return target.size(); }
};

void add_sample(Samples& s, const SymbolRuns::Run& run, uint32_t t, size_t p, int K, uint16_t zero) {
  for (int k = 0; k < K; ++k) {
    int64_t j = int64_t(t) - K + k;
    s.ctx.push_back(j >= 1 ? run.sym[run.n * size_t(j - 1) + p] : zero);
  }
  s.target.push_back(run.sym[run.n * (t - 1) + p]);
}

// All positions when they fit in `max`, else `max` random ones; `skip` excludes positions already taken
// (keyed by global index) so that the eval sample is disjoint from the training sample.
Samples draw(const SymbolRuns& r, size_t max, int K, uint16_t zero, Rng& rng, std::vector<uint8_t>* taken,
             bool avoid) {
  Samples s;
  auto locate = [&](size_t g, size_t& ri, uint32_t& t, size_t& p) {
    ri = 0;
    while (g >= r.runs[ri].sym.size()) g -= r.runs[ri++].sym.size();
    t = uint32_t(g / r.runs[ri].n) + 1;
    p = g % r.runs[ri].n;
  };
  size_t ri, p;
  uint32_t t;
  if (r.positions <= max && !avoid) {
    for (size_t g = 0; g < r.positions; ++g) {
      locate(g, ri, t, p);
      add_sample(s, r.runs[ri], t, p, K, zero);
      if (taken) (*taken)[g] = 1;
    }
    return s;
  }
  size_t want = std::min(max, r.positions), tries = 0;
  while (s.size() < want && tries++ < 8 * want + 1000) {
    size_t g = size_t(rng.next() % r.positions);
    if (avoid && (*taken)[g]) continue;
    if (taken && !avoid) (*taken)[g] = 1;
    locate(g, ri, t, p);
    add_sample(s, r.runs[ri], t, p, K, zero);
  }
  return s;
}

torch::Tensor inputs(const Samples& s, const std::vector<int16_t>& q12, int K) {
  auto x = torch::empty({int64_t(s.size()), K}, torch::kFloat32);
  float* px = x.data_ptr<float>();
  for (size_t i = 0; i < s.ctx.size(); ++i) px[i] = float(q12[s.ctx[i]]) / 4096.0f;
  return x;
}

constexpr double kFcClamp = 32767.0 / 4096.0;  // the integer ReLU saturates at int16

struct NetImpl : torch::nn::Module {
  NetImpl(ModelKind kind, int K, int H, int A) : kind(kind) {
    if (kind == ModelKind::fc) {
      l1 = register_module("l1", torch::nn::Linear(K, H));
      l2 = register_module("l2", torch::nn::Linear(H, H));
    } else if (kind == ModelKind::lstm) {
      lstm = register_module("lstm", torch::nn::LSTM(torch::nn::LSTMOptions(1, H).batch_first(true)));
    } else {
      gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(1, H).batch_first(true)));
    }
    out = register_module("out", torch::nn::Linear(H, A));
  }
  torch::Tensor forward(torch::Tensor x) {  // x: [B, K] -> logits [B, A]
    torch::Tensor h;
    if (kind == ModelKind::fc) {
      h = torch::clamp(l1->forward(x), 0.0, kFcClamp);
      h = torch::clamp(l2->forward(h), 0.0, kFcClamp);
    } else if (kind == ModelKind::lstm) {
      h = std::get<0>(lstm->forward(x.unsqueeze(-1))).select(1, x.size(1) - 1);
    } else {
      h = std::get<0>(gru->forward(x.unsqueeze(-1))).select(1, x.size(1) - 1);
    }
    return out->forward(h);
  }
  ModelKind kind;
  torch::nn::Linear l1{nullptr}, l2{nullptr}, out{nullptr};
  torch::nn::LSTM lstm{nullptr};
  torch::nn::GRU gru{nullptr};
};
TORCH_MODULE(Net);

// Largest power-of-two scale that keeps weights in int16, biases (and extra) in int32 and every row's
// worst-case dot product in int32 (the bound validate_paper_net enforces).
NnLayer quantise(const torch::Tensor& w, const torch::Tensor& b, int64_t act_max, const torch::Tensor& extra = {}) {
  auto W = w.contiguous().to(torch::kFloat64);
  auto B = b.contiguous().to(torch::kFloat64);
  const int rows = int(W.size(0)), cols = int(W.size(1));
  const double* pw = W.data_ptr<double>();
  const double* pb = B.data_ptr<double>();
  double bmax = B.abs().max().item<double>();
  if (extra.defined()) bmax = std::max(bmax, extra.abs().max().item<double>());
  for (int s = 14; s >= 0; --s) {
    double scale = std::ldexp(1.0, s);
    if (bmax * scale * 4096.0 > 2.0e9) continue;
    NnLayer l;
    l.rows = rows;
    l.cols = cols;
    l.shift = uint8_t(s);
    bool ok = true;
    for (int r = 0; r < rows && ok; ++r) {
      int64_t l1 = 0;
      for (int c = 0; c < cols; ++c) {
        long q = std::lround(pw[r * cols + c] * scale);
        if (q > 32767 || q < -32767) ok = false;
        l.w.push_back(int16_t(std::clamp<long>(q, -32767, 32767)));
        l1 += std::abs(q);
      }
      if (l1 * act_max > std::numeric_limits<int32_t>::max()) ok = false;
      l.b.push_back(int32_t(std::lround(pb[r] * scale * 4096.0)));
    }
    if (ok) return l;
  }
  fail(Errc::internal, "paper training: weights too large to quantise ({}x{})", rows, cols);
}

std::vector<int32_t> quantise_bias(const torch::Tensor& b, int shift) {
  auto B = b.contiguous().to(torch::kFloat64);
  std::vector<int32_t> out;
  for (int64_t i = 0; i < B.size(0); ++i) out.push_back(int32_t(std::lround(B[i].item<double>() * std::ldexp(4096.0, shift))));
  return out;
}

PaperNet quantise_net(Net& net, const PaperTrainOptions& o, const TruncWindow& w) {
  torch::NoGradGuard ng;
  PaperNet q;
  q.kind = o.kind;
  q.context = o.context;
  q.window = w;
  q.hidden = o.hidden;
  q.escape = o.escape;
  const int H = o.hidden;
  if (o.kind == ModelKind::fc) {
    q.layers.push_back(quantise(net->l1->weight, net->l1->bias, 4096));
    q.layers.push_back(quantise(net->l2->weight, net->l2->bias, 32767));
    q.layers.push_back(quantise(net->out->weight, net->out->bias, 32767));
    return q;
  }
  auto p = o.kind == ModelKind::lstm ? net->lstm->named_parameters() : net->gru->named_parameters();
  auto W = torch::cat({p["weight_ih_l0"], p["weight_hh_l0"]}, 1);
  if (o.kind == ModelKind::lstm) {
    q.layers.push_back(quantise(W, p["bias_ih_l0"] + p["bias_hh_l0"], 4096));
  } else {
    auto bih = p["bias_ih_l0"].clone(), bhh = p["bias_hh_l0"];
    bih.slice(0, 0, 2 * H) += bhh.slice(0, 0, 2 * H);
    auto bhn = bhh.slice(0, 2 * H, 3 * H);
    q.layers.push_back(quantise(W, bih, 4096, bhn));
    q.b_hn = quantise_bias(bhn, q.layers[0].shift);
  }
  q.layers.push_back(quantise(net->out->weight, net->out->bias, 4096));
  return q;
}

}  // namespace

PaperNet train_paper_net(const std::vector<BlockView>& sequences, const PaperTrainOptions& o, PaperTrainReport* report,
                         const std::vector<BlockView>& eval) {
  auto start = std::chrono::steady_clock::now();
  if (o.kind != ModelKind::fc && o.kind != ModelKind::lstm && o.kind != ModelKind::gru)
    fail(Errc::invalid_argument, "paper training: kind {} is not fc, lstm or gru", int(o.kind));
  if (o.context < 1 || o.context > kPaperMaxContext || o.hidden < 1 || o.hidden > kPaperMaxHidden || o.epochs < 0 ||
      o.batch < 1 || o.threads < 1 || o.max_samples < 1)
    fail(Errc::invalid_argument, "paper training: options out of range (context {}, hidden {}, batch {})", o.context,
         o.hidden, o.batch);
  torch::set_num_threads(o.threads);
  torch::manual_seed(o.seed);

  std::vector<uint64_t> hist(kDiffHistSize);
  for (const BlockView& b : sequences)
    for (uint32_t t = 1; t < b.frames; ++t)
      for (size_t p = 0; p < b.frame_pixels(); ++p)
        ++hist[size_t(int32_t(b.frame(t)[p]) - int32_t(b.frame(t - 1)[p]) + kDiffOffset)];
  const TruncWindow w = choose_window(hist, o.escape_fraction, o.max_alphabet);
  const int A = w.alphabet(), K = o.context;
  const uint16_t zero = uint16_t(w.zero_symbol());
  std::vector<int16_t> q12;
  for (int s = 0; s < A; ++s) q12.push_back(paper_input_q12(w, s));

  SymbolRuns runs = map_runs(sequences, w);
  if (runs.positions == 0) fail(Errc::invalid_argument, "paper training: no frame differences to learn from");
  Rng rng{o.seed};
  std::vector<uint8_t> taken(runs.positions);
  Samples train = draw(runs, o.max_samples, K, zero, rng, &taken, false);
  auto x = inputs(train, q12, K);
  auto y = torch::from_blob(train.target.data(), {int64_t(train.size())}, torch::kInt64).clone();

  Net net(o.kind, K, o.hidden, A);
  torch::optim::Adam opt(net->parameters(), torch::optim::AdamOptions(o.learning_rate));
  const int64_t n = x.size(0);
  for (int epoch = 0; epoch < o.epochs; ++epoch) {
    auto perm = torch::randperm(n, torch::kInt64);
    for (int64_t i = 0; i < n; i += o.batch) {
      auto idx = perm.slice(0, i, std::min(n, i + o.batch));
      opt.zero_grad();
      auto loss = torch::nn::functional::cross_entropy(net->forward(x.index_select(0, idx)), y.index_select(0, idx));
      loss.backward();
      opt.step();
    }
  }
  PaperNet q = quantise_net(net, o, w);

  if (report) {
    report->window = w;
    report->train_samples = train.size();
    report->params = q.param_count();
    report->param_bytes = serialize_paper_net(q).size();
    Samples ev;
    if (!eval.empty()) {
      SymbolRuns er = map_runs(eval, w);
      if (er.positions) ev = draw(er, o.max_samples, K, zero, rng, nullptr, false);
    } else if (runs.positions > train.size()) {
      ev = draw(runs, std::min(o.max_samples, runs.positions - train.size()), K, zero, rng, &taken, true);
    }
    if (ev.size() == 0) ev = train;
    torch::NoGradGuard ng;
    auto logp = torch::log_softmax(net->forward(inputs(ev, q12, K)), 1);
    auto yt = torch::from_blob(ev.target.data(), {int64_t(ev.size())}, torch::kInt64);
    report->float_bits = -logp.gather(1, yt.unsqueeze(1)).mean().item<double>() / std::log(2.0);
    PaperPredictor pred(q);
    double bits = 0;
    for (size_t i = 0; i < ev.size(); ++i)
      bits += 16.0 - std::log2(double(pred.predict(&ev.ctx[i * size_t(K)])[ev.target[i]]));
    report->int_bits = bits / double(ev.size());
    report->eval_samples = ev.size();
    report->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return q;
}

ScanModel train_paper_model(const std::vector<BlockView>& sequences, const PaperTrainOptions& opt,
                            PaperTrainReport* report) {
  return ScanModel{opt.kind, serialize_paper_net(train_paper_net(sequences, opt, report))};
}

}  // namespace srsfs::codec
