// Retraining of the store's scan model (srsfs-admin retrain): decode a sample of the most recent compressed
// scans, train a new paper model (fc/lstm/gru) on part of their frames, measure it on the held-out frames
// against the model new scans use now, and promote it only when it is measurably better. Optionally re-encode
// stored scans with the current model, each verified file by file before it replaces the old one.
//
// Evaluation codes the held-out frames for real with both codecs (key frame, escapes and all), so the figures
// are what the store would pay, not an estimate. Training needs LibTorch (SRSFS_WITH_TORCH); evaluation,
// current_scan_model and recompression do not.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/block_codec.h"
#include "codec/train/paper_train.h"  // options and report only: no LibTorch in this header
#include "fs/store.h"

namespace srsfs::fs {

struct RetrainOptions {
  codec::ModelKind kind = codec::ModelKind::lstm;  // what to train (fc, lstm or gru)
  uint32_t scans = 4;                // sample the N most recently committed scans ...
  std::optional<int64_t> since;      // ... or every scan committed at or after this unix time
  double promote_margin_pct = 0.5;   // promote when the candidate codes the held-out frames this much smaller
  bool recompress = false;           // afterwards, re-encode scans with the current model ...
  double recompress_threshold_pct = 1.0;  // ... when that makes a scan at least this much smaller
  uint64_t max_train_pixels = uint64_t(4) << 20;  // decoded frames handed to training (it samples from them)
  uint64_t max_eval_pixels = uint64_t(2) << 20;   // held-out pixels coded by each model
  // Training of the candidate; its kind is `kind` above. Defaults as for a scan's own model (context K = 8,
  // escape fraction 0.02, 2 LibTorch threads: fixed, so that training is reproducible).
  codec::PaperTrainOptions train;
  unsigned threads = 0;              // decode / encode threads; 0 = every core
  // Long work reports here: stage ("sample", "evaluate <model>", "recompress <path>"), bytes done and total.
  std::function<void(std::string_view stage, uint64_t done, uint64_t total)> progress;
};

// One model measured on the held-out frames.
struct ModelFigure {
  std::string label;      // "lms", "lstm v3 (model 12)", ...
  uint64_t model_id = 0;  // 0: LMS (no stored model) or a candidate that was not stored
  codec::ModelKind kind = codec::ModelKind::lms;
  uint64_t coded_bytes = 0;
  double bits_per_pixel = 0;  // coded_bytes * 8 / held-out pixels
};

struct RecompressOutcome {
  std::string path;
  uint64_t old_scan = 0, new_scan = 0;  // new_scan 0: kept as it was
  uint64_t old_bytes = 0, new_bytes = 0;
  std::string note;  // why it was kept, or "replaced"
};

struct RetrainReport {
  std::vector<std::string> scans;  // sampled scan paths, newest first
  uint64_t train_frames = 0, eval_frames = 0, eval_pixels = 0;
  ModelFigure incumbent, candidate;
  double improvement_pct = 0;   // (incumbent - candidate) / incumbent * 100
  double train_seconds = 0;
  double candidate_ideal_bits = 0;  // the trainer's ideal code length per symbol on the held-out frames
  bool promoted = false;
  uint32_t version = 0;  // the candidate's version among models of its kind
  std::string decision;  // one sentence: why promoted or kept
  std::vector<RecompressOutcome> recompressed;
};

// Runs the whole retrain on `store`. Read-only store: measures and reports, promotes nothing (decision says
// so). Throws Errc::invalid_argument for an lms kind or no sample; Errc::unsupported without LibTorch.
RetrainReport retrain(Store& store, const RetrainOptions& opts);

// Re-encodes every compressed scan not already coded with the current model (the LMS codec when none is
// current) whose size drops by at least threshold_pct; a model no scan uses any more (and not current) is
// deleted. Needs a writable store.
// Uses opts.recompress_threshold_pct, threads and progress.
std::vector<RecompressOutcome> recompress_scans(Store& store, const RetrainOptions& opts);

// What the compressor codes a new scan with: the promoted model and its id, or nullopt (the default).
struct CurrentModel {
  uint64_t id = 0;
  codec::ScanModel model;
};
std::optional<CurrentModel> current_scan_model(const Store& store);

// The kind of a stored paper model's parameters (Errc::corrupt when they are not a valid fc/lstm/gru model).
codec::ModelKind stored_model_kind(const ModelRecord& m);

}  // namespace srsfs::fs
