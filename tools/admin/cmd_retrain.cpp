// srsfs-admin retrain: train a new model version on the store's recent scans, promote it when it is measurably
// better, optionally re-encode stored scans with it. The work is in fs/retrain.h.
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>  // also the stderr sinks
#include <spdlog/spdlog.h>

#include "codec/error.h"
#include "fs/retrain.h"
#include "fs/store.h"
#include "tools/admin/command.h"
#include "tools/admin/progress.h"

namespace srsfs::admin {
namespace {

using nlohmann::json;

struct Args {
  std::string store, model = "lstm", since;
  uint32_t scans = 4;
  bool recompress = false, json = false;
  double threshold = 1.0, margin = 0.5;
  unsigned threads = 0;
  int epochs = 0, hidden = 0;
  size_t samples = 0;
};

// "2024-05-01", "2024-05-01T12:00:00" (UTC) or "@UNIXSECONDS".
int64_t parse_date(const std::string& text) {
  if (!text.empty() && text[0] == '@') {
    try {
      size_t used = 0;
      long long v = std::stoll(text.substr(1), &used);
      if (used == text.size() - 1) return v;
    } catch (const std::exception&) {
    }
  } else {
    for (const char* f : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"}) {
      std::tm tm{};
      const char* end = ::strptime(text.c_str(), f, &tm);
      if (end && *end == '\0') return int64_t(::timegm(&tm));
    }
  }
  fail(Errc::invalid_argument, "--since '{}': expected YYYY-MM-DD[THH:MM:SS] (UTC) or @UNIXSECONDS", text);
}

json figure_json(const fs::ModelFigure& f) {
  return {{"label", f.label},
          {"model", f.model_id},
          {"kind", codec::model_kind_name(f.kind)},
          {"coded_bytes", f.coded_bytes},
          {"bits_per_pixel", f.bits_per_pixel}};
}

json report_json(const fs::RetrainReport& r) {
  json rec = json::array();
  for (const auto& x : r.recompressed)
    rec.push_back({{"path", x.path}, {"old_scan", x.old_scan}, {"new_scan", x.new_scan}, {"old_bytes", x.old_bytes},
                   {"new_bytes", x.new_bytes}, {"replaced", x.new_scan != 0}, {"note", x.note}});
  return {{"scans", r.scans},
          {"train_frames", r.train_frames},
          {"eval_frames", r.eval_frames},
          {"eval_pixels", r.eval_pixels},
          {"train_seconds", r.train_seconds},
          {"incumbent", figure_json(r.incumbent)},
          {"candidate", figure_json(r.candidate)},
          {"candidate_ideal_bits", r.candidate_ideal_bits},
          {"improvement_pct", r.improvement_pct},
          {"version", r.version},
          {"promoted", r.promoted},
          {"decision", r.decision},
          {"recompressed", rec}};
}

void print_report(const fs::RetrainReport& r) {
  fmt::print("sampled {} scans: {} frames trained on, {} held-out frames ({} pixels) measured\n", r.scans.size(),
             r.train_frames, r.eval_frames, r.eval_pixels);
  fmt::print("  current    {:<28} {:8.4f} bits/pixel\n", r.incumbent.label, r.incumbent.bits_per_pixel);
  fmt::print("  candidate  {:<28} {:8.4f} bits/pixel  ({:+.2f}% vs current, trained in {:.1f} s)\n", r.candidate.label,
             r.candidate.bits_per_pixel, -r.improvement_pct, r.train_seconds);
  fmt::print("{}\n", r.decision);
  for (const auto& x : r.recompressed)
    fmt::print("  {:<40} {:>12} -> {:>12} bytes  {}\n", x.path, x.old_bytes, x.new_bytes, x.note);
}

// Read-write. A running mount holds the store's lock: then write beside it (LMDB serialises the writers;
// each promotion or scan swap is one short transaction, so the daemon's reads and writes go on).
std::unique_ptr<fs::Store> open_store(const Args& a) {
  try {
    return fs::Store::open(a.store);
  } catch (const Error& e) {
    if (e.code() != Errc::io) throw;
    fmt::print(stderr, "srsfs-admin retrain: {}; working beside the running mount\n", e.what());
  }
  fs::StoreOptions beside;
  beside.beside_daemon = true;
  return fs::Store::open(a.store, beside);
}

Register r([](CLI::App& app) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("retrain", "train a new model version on recent scans; promote it if better");
  cmd->add_option("--store", a->store, "store directory (the daemon's store=)")->required();
  auto* scans = cmd->add_option("--scans", a->scans, "learn from the N most recent scans")->capture_default_str();
  cmd->add_option("--since", a->since, "learn from scans committed since DATE (YYYY-MM-DD, UTC)")->excludes(scans);
  cmd->add_option("--model", a->model, "kind to train: fc, lstm or gru")->capture_default_str();
  cmd->add_flag("--recompress", a->recompress, "re-encode stored scans with the current model when that pays");
  cmd->add_option("--threshold", a->threshold, "--recompress: minimum size reduction of a scan, percent")
      ->capture_default_str();
  cmd->add_option("--margin", a->margin, "promote only when smaller by more than this, percent")->capture_default_str();
  cmd->add_option("--threads", a->threads, "decode/encode threads (0: every core)");
  cmd->add_option("--epochs", a->epochs, "training passes (default 6)");
  cmd->add_option("--hidden", a->hidden, "hidden units of the network (default 32)");
  cmd->add_option("--samples", a->samples, "pixels drawn for training (default 65536)");
  cmd->add_flag("--json", a->json, "machine-readable output");
  cmd->callback([a] {
    auto kind = codec::parse_model_kind(a->model);
    if (!kind || *kind == codec::ModelKind::lms)
      fail(Errc::invalid_argument, "--model '{}': retrain trains fc, lstm or gru", a->model);
    fs::RetrainOptions o;
    o.kind = *kind;
    o.scans = a->scans;
    if (!a->since.empty()) o.since = parse_date(a->since);
    o.recompress = a->recompress;
    o.recompress_threshold_pct = a->threshold;
    o.promote_margin_pct = a->margin;
    o.threads = a->threads;
    if (a->epochs > 0) o.train.epochs = a->epochs;
    if (a->hidden > 0) o.train.hidden = a->hidden;
    if (a->samples > 0) o.train.max_samples = a->samples;
    std::unique_ptr<Progress> bar;
    std::string stage;
    o.progress = [&](std::string_view s, uint64_t done, uint64_t total) {
      if (s != stage) {
        bar.reset();  // ends the previous stage's line
        stage = s;
        bar = std::make_unique<Progress>(stage);
      }
      bar->update(done, total);
    };
    // Logs go to stderr: stdout carries the report (JSON with --json).
    spdlog::set_default_logger(spdlog::stderr_color_mt("retrain"));
    auto store = open_store(*a);
    fs::RetrainReport rep = fs::retrain(*store, o);
    bar.reset();
    if (a->json) fmt::print("{}\n", report_json(rep).dump(2));
    else print_report(rep);
  });
});

}  // namespace
}  // namespace srsfs::admin
