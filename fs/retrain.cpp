#include "fs/retrain.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "codec/checksum.h"
#include "codec/error.h"
#include "codec/lms_codec.h"
#include "codec/nn_int.h"
#include "codec/paper_codec.h"
#include "codec/scan_codec.h"
#include "codec/scan_decoder.h"
#include "codec/scan_manifest.h"
#include "fs/store_view.h"

namespace srsfs::fs {
namespace {

using codec::ModelKind;
using nlohmann::json;

#if SRSFS_WITH_TORCH
constexpr bool kCanTrain = true;
#else
constexpr bool kCanTrain = false;  // everything but the training call still compiles (and is tested)
#endif

bool is_paper(ModelKind k) { return k == ModelKind::fc || k == ModelKind::lstm || k == ModelKind::gru; }

void report(const RetrainOptions& o, std::string_view stage, uint64_t done, uint64_t total) {
  if (o.progress) o.progress(stage, done, total);
}

// A stored scan ready to decode: its header and the codec of its model.
struct OpenScan {
  ScanRecord rec;
  codec::ScanManifest header;
  std::unique_ptr<codec::BlockCodec> codec;
};

OpenScan open_scan(const Store& store, const ScanRecord& rec) {
  OpenScan s;
  s.rec = rec;
  s.header = decode_scan_header(rec.codec_header);
  s.codec = codec::make_block_codec(stored_scan_model(store, rec, s.header.model));
  return s;
}

// The frames of one group, each whole (every band decoded).
std::vector<codec::Frame16> decode_group(const Store& store, const OpenScan& s, uint32_t group, unsigned threads) {
  const codec::ScanGeometry& g = s.header.geom;
  const uint32_t nf = g.frames_in(group);
  std::vector<codec::Frame16> frames(nf, codec::Frame16(g.width, g.height));
  codec::parallel_for(g.bands(), threads, [&](size_t b) {
    std::vector<uint16_t> px;
    const uint32_t index = g.block_index(group, uint32_t(b));
    codec::decode_block(g, *s.codec, index, store.get_block(s.rec.id, index), px);
    const size_t n = size_t(g.rows_in(uint32_t(b))) * g.width;
    for (uint32_t f = 0; f < nf; ++f)
      std::memcpy(frames[f].pixels.data() + size_t(b) * g.band_rows * g.width, px.data() + f * n, n * 2);
  });
  return frames;
}

// Pixels of a training run or an evaluation block, frame-major (a BlockView's layout).
struct Pixels {
  std::vector<uint16_t> px;
  uint32_t frames = 0, rows = 0, width = 0;
  codec::BlockView view() const { return {px.data(), frames, rows, width}; }
};

// Rows [row0, row0 + rows) of frames [f0, f1).
Pixels crop(const std::vector<codec::Frame16>& frames, uint32_t f0, uint32_t f1, uint32_t row0, uint32_t rows) {
  Pixels p;
  p.frames = f1 - f0;
  p.rows = rows;
  p.width = frames[0].width;
  p.px.resize(size_t(p.frames) * rows * p.width);
  for (uint32_t f = f0; f < f1; ++f)
    std::memcpy(p.px.data() + size_t(f - f0) * rows * p.width, frames[f].pixels.data() + size_t(row0) * p.width,
                size_t(rows) * p.width * 2);
  return p;
}

// Rows that fit `budget` pixels over `frames` frames, at least 1, at most the frame's height.
uint32_t rows_for(uint64_t budget, uint32_t frames, uint32_t width, uint32_t height) {
  uint64_t r = budget / std::max<uint64_t>(uint64_t(frames) * width, 1);
  return uint32_t(std::clamp<uint64_t>(r, 1, height));
}

struct Sample {
  std::vector<std::string> scans;
  std::vector<Pixels> train, eval;
  uint64_t train_frames = 0, eval_frames = 0, eval_pixels = 0;
};

// The scans to learn from: compressed, with enough coded frames, newest first.
std::vector<ScanRecord> pick_scans(const Store& store, const RetrainOptions& o) {
  std::vector<ScanRecord> all;
  for (auto& s : store.list_scans()) {
    if (s.state != ScanState::compressed || s.blocks == 0) continue;
    if (o.since && s.committed_at < *o.since) continue;
    if (decode_scan_header(s.codec_header).geom.frames < 4) continue;  // too short to split into train + eval
    all.push_back(std::move(s));
  }
  std::sort(all.begin(), all.end(), [](const ScanRecord& a, const ScanRecord& b) {
    return a.committed_at != b.committed_at ? a.committed_at > b.committed_at : a.id > b.id;
  });
  if (!o.since && all.size() > o.scans) all.resize(o.scans);
  return all;
}

// From each scan one group of frames, the middle one (past any start-up transient): its first half trains,
// its second half is held out, cut into the scan's bands as the coder sees them. Both use the middle rows
// (detector edges are often flat and teach little).
Sample take_sample(const Store& store, const RetrainOptions& o) {
  std::vector<ScanRecord> scans = pick_scans(store, o);
  if (scans.empty())
    fail(Errc::invalid_argument, "no compressed scan with at least 4 frames to learn from in the store {}{}",
         store.dir().string(), o.since ? " (committed since the given date)" : "");
  Sample s;
  const unsigned threads = codec::resolve_threads(o.threads);
  const uint64_t train_budget = std::max<uint64_t>(o.max_train_pixels / scans.size(), 1);
  const uint64_t eval_budget = std::max<uint64_t>(o.max_eval_pixels / scans.size(), 1);
  uint64_t total = 0, done = 0;
  for (const auto& r : scans) total += r.stored_bytes;
  for (size_t i = 0; i < scans.size(); ++i) {
    report(o, "sample", done, total);
    done += scans[i].stored_bytes;
    OpenScan sc = open_scan(store, scans[i]);
    const codec::ScanGeometry& g = sc.header.geom;
    uint32_t group = g.groups() / 2;
    if (g.frames_in(group) < 4) group = 0;
    if (g.frames_in(group) < 4) continue;
    std::vector<codec::Frame16> frames = decode_group(store, sc, group, threads);
    const uint32_t nf = uint32_t(frames.size()), half = nf / 2;
    uint32_t rows = rows_for(train_budget, half, g.width, g.height);
    s.train.push_back(crop(frames, 0, half, (g.height - rows) / 2, rows));
    s.train_frames += half;
    rows = rows_for(eval_budget, nf - half, g.width, g.height);
    const uint32_t row0 = (g.height - rows) / 2;
    for (uint32_t r = 0; r < rows; r += g.band_rows) {
      const uint32_t nr = std::min(g.band_rows, rows - r);
      s.eval.push_back(crop(frames, half, nf, row0 + r, nr));
      s.eval_pixels += uint64_t(nf - half) * nr * g.width;
    }
    s.eval_frames += nf - half;
    s.scans.push_back(sc.rec.path);
  }
  report(o, "sample", total, total);
  if (s.train.empty()) fail(Errc::invalid_argument, "the sampled scans have no group of at least 4 frames");
  return s;
}

// Codes every evaluation block for real; returns the total coded bytes.
uint64_t coded_bytes(const codec::BlockCodec& codec, const Sample& s, const RetrainOptions& o, std::string_view stage) {
  std::vector<uint64_t> sizes(s.eval.size());
  std::atomic<uint64_t> done{0};
  codec::parallel_for(s.eval.size(), codec::resolve_threads(o.threads), [&](size_t i) {
    sizes[i] = codec.encode(s.eval[i].view()).size();
    report(o, stage, done += s.eval[i].px.size() * 2, s.eval_pixels * 2);
  });
  uint64_t total = 0;
  for (uint64_t n : sizes) total += n;
  return total;
}

ModelFigure measure(std::string label, uint64_t id, ModelKind kind, const codec::BlockCodec& codec, const Sample& s,
                    const RetrainOptions& o) {
  ModelFigure f;
  f.label = std::move(label);
  f.model_id = id;
  f.kind = kind;
  f.coded_bytes = coded_bytes(codec, s, o, "evaluate " + f.label);
  f.bits_per_pixel = s.eval_pixels ? double(f.coded_bytes) * 8.0 / double(s.eval_pixels) : 0.0;
  return f;
}

json provenance_of(const ModelRecord& m) {
  json p = json::parse(m.provenance_json, nullptr, false);
  return p.is_object() ? p : json::object();
}

// The next version number of a kind: one more than any stored model of that kind carries.
uint32_t next_version(const Store& store, ModelKind kind) {
  uint32_t v = 0;
  for (const auto& m : store.list_models()) {
    json p = provenance_of(m);
    if (p.value("kind", std::string()) == codec::model_kind_name(kind)) v = std::max(v, p.value("version", 0u));
  }
  return v + 1;
}

std::string model_label(const Store& store, uint64_t id, ModelKind kind) {
  uint32_t version = 0;
  if (auto m = store.get_model(id)) version = provenance_of(*m).value("version", 0u);
  return version ? fmt::format("{} v{} (model {})", codec::model_kind_name(kind), version, id)
                 : fmt::format("{} (model {})", codec::model_kind_name(kind), id);
}

// Deletes model `id` when no scan uses it and it is not current; a failure is only logged (it stays stored).
void release_model(Store& store, uint64_t id) {
  if (id == 0) return;
  auto m = store.get_model(id);
  if (!m || m->refcount > 0 || store.current_model() == id) return;
  try {
    store.delete_model(id);
    spdlog::info("model {} released: no scan uses it", id);
  } catch (const Error& e) {
    spdlog::warn("model {} kept: {}", id, e.what());
  }
}

}  // namespace

codec::ModelKind stored_model_kind(const ModelRecord& m) {
  for (ModelKind k : {ModelKind::fc, ModelKind::lstm, ModelKind::gru}) {
    try {
      codec::parse_paper_net(m.params, k);
      return k;
    } catch (const Error&) {
    }
  }
  fail(Errc::corrupt, "model {}: its parameters are not a valid fc, lstm or gru model", m.id);
}

std::optional<CurrentModel> current_scan_model(const Store& store) {
  auto id = store.current_model();
  if (!id) return std::nullopt;
  auto m = store.get_model(*id);
  if (!m) fail(Errc::corrupt, "the store's current model {} does not exist", *id);
  return CurrentModel{*id, codec::ScanModel{stored_model_kind(*m), m->params}};
}

RetrainReport retrain(Store& store, const RetrainOptions& o) {
  if (!is_paper(o.kind))
    fail(Errc::invalid_argument, "retrain trains fc, lstm or gru models; {} has nothing to train",
         codec::model_kind_name(o.kind));
  if (!kCanTrain)
    fail(Errc::unsupported, "this srsfs was built without LibTorch (SRSFS_WITH_TORCH=OFF): it cannot train models");
  RetrainReport rep;
  Sample s = take_sample(store, o);
  rep.scans = s.scans;
  rep.train_frames = s.train_frames;
  rep.eval_frames = s.eval_frames;
  rep.eval_pixels = s.eval_pixels;

  // The incumbent: the current model, or the LMS default when none was promoted.
  const std::optional<CurrentModel> current = current_scan_model(store);
  {
    auto codec = current ? codec::make_block_codec(current->model) : codec::make_lms_block_codec();
    rep.incumbent = current ? measure(model_label(store, current->id, current->model.kind), current->id,
                                      current->model.kind, *codec, s, o)
                            : measure("lms", 0, ModelKind::lms, *codec, s, o);
  }

  // The candidate.
  codec::PaperTrainOptions to = o.train;
  to.kind = o.kind;
  std::vector<codec::BlockView> train, eval;
  for (const auto& p : s.train) train.push_back(p.view());
  for (const auto& p : s.eval) eval.push_back(p.view());
  codec::PaperTrainReport tr;
  const auto t0 = std::chrono::steady_clock::now();
  codec::PaperNet net;
#if SRSFS_WITH_TORCH
  net = codec::train_paper_net(train, to, &tr, eval);
#endif
  rep.train_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rep.candidate_ideal_bits = tr.int_bits;
  rep.version = next_version(store, o.kind);
  rep.candidate = measure(fmt::format("{} v{} (candidate)", codec::model_kind_name(o.kind), rep.version), 0, o.kind,
                          *codec::make_paper_block_codec(net), s, o);

  const double inc = rep.incumbent.bits_per_pixel, cand = rep.candidate.bits_per_pixel;
  rep.improvement_pct = inc > 0 ? (inc - cand) / inc * 100.0 : 0.0;
  const bool better = rep.improvement_pct > o.promote_margin_pct;
  if (!better) {
    rep.decision = fmt::format("kept {}: the candidate codes the held-out frames {:.2f}% {}, promotion needs more "
                               "than {:.2f}% smaller",
                               rep.incumbent.label, std::abs(rep.improvement_pct),
                               rep.improvement_pct >= 0 ? "smaller" : "larger", o.promote_margin_pct);
  } else if (store.read_only()) {
    rep.decision = fmt::format("not promoted although {:.2f}% smaller than {}: the store is open read-only (a running "
                               "mount holds it); promote while it is unmounted",
                               rep.improvement_pct, rep.incumbent.label);
  } else {
    json prov = {{"kind", codec::model_kind_name(o.kind)},
                 {"version", rep.version},
                 {"source", "retrain"},
                 {"trained_on", rep.scans},
                 {"train_frames", rep.train_frames},
                 {"eval_frames", rep.eval_frames},
                 {"bits_per_pixel", cand},
                 {"baseline", {{"label", rep.incumbent.label}, {"bits_per_pixel", inc}}},
                 {"context", to.context},
                 {"escape_fraction", to.escape_fraction},
                 {"hidden", to.hidden},
                 {"trained_at", int64_t(std::time(nullptr))}};
    const uint64_t id = store.put_model(codec::serialize_paper_net(net), prov.dump());
    store.set_current_model(id);  // the promotion: one short write transaction
    rep.candidate.model_id = id;
    rep.candidate.label = model_label(store, id, o.kind);
    rep.promoted = true;
    rep.decision = fmt::format("promoted {}: {:.2f}% {} than {} on the held-out frames", rep.candidate.label,
                               std::abs(rep.improvement_pct), rep.improvement_pct >= 0 ? "smaller" : "larger",
                               rep.incumbent.label);
    if (current) release_model(store, current->id);
  }
  spdlog::info("retrain: {}", rep.decision);
  if (o.recompress) {
    if (store.read_only()) fail(Errc::invalid_argument, "cannot recompress: the store {} is open read-only", store.dir().string());
    rep.recompressed = recompress_scans(store, o);
  }
  return rep;
}

namespace {

// Re-encodes one scan with `target`; commits it in place of the old one when it is at least `threshold_pct`
// smaller. Every new block is decoded again and compared with the old pixels, and every file is rebuilt from
// the new pixels and checked against its checksum, before the swap.
RecompressOutcome recompress_one(Store& store, const ScanRecord& rec, const std::optional<CurrentModel>& target,
                                 const codec::BlockCodec& target_codec, const RetrainOptions& o) {
  RecompressOutcome out;
  out.path = rec.path;
  out.old_scan = rec.id;
  out.old_bytes = rec.stored_bytes;
  OpenScan sc = open_scan(store, rec);
  const codec::ScanGeometry& g = sc.header.geom;
  const unsigned threads = codec::resolve_threads(o.threads);
  const std::string stage = "recompress " + rec.path;

  std::vector<FileRecord> files = store.scan_files(rec.id);
  std::vector<std::vector<codec::FileEntry>> by_frame(g.frames);  // the files of each frame
  std::vector<codec::FileEntry> fallbacks;
  for (const FileRecord& f : files) {
    codec::FileEntry e = codec::parse_file_entry(f.codec_entry);
    if (e.checksum != f.checksum) fail(Errc::corrupt, "{}: file record and codec entry disagree on the checksum", f.path);
    if (e.kind == codec::FileKind::frame) {
      if (e.frame_index >= g.frames) fail(Errc::corrupt, "{}: frame index out of range", f.path);
      by_frame[e.frame_index].push_back(std::move(e));
    } else {
      fallbacks.push_back(std::move(e));
    }
  }

  codec::ScanManifest header = sc.header;
  header.model = target ? target->model.kind : ModelKind::lms;
  ScanWriter w = store.begin_scan(rec.path, target ? target->id : 0, encode_scan_header(header));
  uint64_t new_bytes = 0;
  const uint32_t nblocks = g.block_count();
  std::atomic<uint64_t> done{0};
  for (uint32_t group = 0; group < g.groups(); ++group) {
    report(o, stage, done, rec.stored_bytes);
    const uint32_t nf = g.frames_in(group);
    std::vector<codec::Frame16> frames(nf, codec::Frame16(g.width, g.height));
    std::vector<Bytes> coded(g.bands());
    codec::parallel_for(g.bands(), threads, [&](size_t b) {
      const uint32_t index = g.block_index(group, uint32_t(b));
      std::vector<uint16_t> px, check;
      const Bytes old = store.get_block(rec.id, index);
      done += old.size();
      codec::decode_block(g, *sc.codec, index, old, px);
      const uint32_t nr = g.rows_in(uint32_t(b));
      coded[b] = target_codec.encode({px.data(), nf, nr, g.width});
      codec::decode_block(g, target_codec, index, coded[b], check);
      if (check != px) fail(Errc::internal, "{}: block {} does not decode back to its pixels with the new model", rec.path, index);
      const size_t n = size_t(nr) * g.width;
      for (uint32_t f = 0; f < nf; ++f)
        std::memcpy(frames[f].pixels.data() + size_t(b) * g.band_rows * g.width, check.data() + f * n, n * 2);
    });
    for (uint32_t f = 0; f < nf; ++f)
      for (const auto& e : by_frame[group * g.group_frames + f]) codec::rebuild_frame_file(sc.header, e, frames[f]);
    for (uint32_t b = 0; b < g.bands(); ++b) {
      new_bytes += coded[b].size();
      w.put_block(g.block_index(group, b), coded[b]);
    }
  }
  // Fallback blobs do not depend on the model: copied, and checked through their files.
  for (uint32_t i = 0; i < sc.header.blob_count; ++i) {
    Bytes blob = store.get_block(rec.id, nblocks + i);
    for (const auto& e : fallbacks)
      if (e.blob_index == i) codec::rebuild_fallback_file(e, blob);
    new_bytes += blob.size();
    w.put_block(nblocks + i, blob);
  }
  report(o, stage, rec.stored_bytes, rec.stored_bytes);
  out.new_bytes = new_bytes;
  const double gain = rec.stored_bytes ? (double(rec.stored_bytes) - double(new_bytes)) / double(rec.stored_bytes) * 100.0 : 0.0;
  if (gain < o.recompress_threshold_pct) {
    w.abort();
    out.note = fmt::format("kept: {:.2f}% {}, the threshold is {:.2f}% smaller", std::abs(gain),
                           gain >= 0 ? "smaller" : "larger", o.recompress_threshold_pct);
    return out;
  }
  ScanRecord committed = w.commit_replacing(rec.id, std::move(files), rec.raw_bytes);  // ino, path, times kept
  out.new_scan = committed.id;
  out.new_bytes = committed.stored_bytes;
  out.note = fmt::format("replaced: {:.2f}% smaller", gain);
  spdlog::info("{}: re-encoded with {}, {} -> {} bytes", rec.path, target ? fmt::format("model {}", target->id) : "lms",
               rec.stored_bytes, committed.stored_bytes);
  release_model(store, rec.model_id);
  return out;
}

}  // namespace

std::vector<RecompressOutcome> recompress_scans(Store& store, const RetrainOptions& o) {
  const std::optional<CurrentModel> target = current_scan_model(store);
  auto codec = target ? codec::make_block_codec(target->model) : codec::make_lms_block_codec();
  const uint64_t target_id = target ? target->id : 0;
  std::vector<RecompressOutcome> out;
  for (const ScanRecord& rec : store.list_scans()) {
    if (rec.state != ScanState::compressed) continue;
    if (rec.model_id == target_id) continue;  // already coded with it (0 == 0: LMS)
    if (decode_scan_header(rec.codec_header).geom.frames == 0) continue;  // fallback files only: nothing to gain
    out.push_back(recompress_one(store, rec, target, *codec, o));
  }
  return out;
}

}  // namespace srsfs::fs
