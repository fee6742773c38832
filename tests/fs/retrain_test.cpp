// srsfs-admin retrain's library (fs/retrain.h) and the store's current model: a store filled by the real
// compressor with synthetic scans, models trained, measured, promoted or kept, scans re-encoded and read back.
#include "fs/retrain.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "codec/file_io.h"
#include "codec/synth_scan.h"
#include "fs/compressor.h"
#include "fs/store_view.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

namespace srsfs::fs {
namespace {
namespace fsys = std::filesystem;
using codec::ModelKind;

using srsfs::fs::test::code_of;

// Two compressed synthetic scans (64x64x24 frames plus synth.json, a fallback file), and the original bytes of
// every file, keyed by store path.
class RetrainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fsys::path src = tmp_ / "src";
    for (uint64_t seed : {1, 2}) {
      codec::SynthOptions so;
      so.width = so.height = 64;
      so.frames = 24;
      so.seed = seed;
      so.threads = 2;
      const std::string scan = fmt::format("scan_{}", seed);
      codec::write_synth_scan(src / scan, so);
      for (const auto& e : fsys::directory_iterator(src / scan))
        originals_[scan + "/" + e.path().filename().string()] = read_whole_file(e.path());
    }
    open();
    CompressorOptions co;
    co.source = src;
    co.spool = tmp_ / "store" / "spool";
    co.params.threads = 2;
    Compressor c(*store_, co);
    c.compress_now("scan_1");
    c.compress_now("scan_2");
  }

  void open() { store_ = Store::open(tmp_ / "store"); }

  RetrainOptions options(ModelKind kind) const {
    RetrainOptions o;
    o.kind = kind;
    o.scans = 2;
    o.threads = 2;
    // Small and quick: the test is about the decisions and the bookkeeping, not the model's quality.
    o.train.epochs = 1;
    o.train.hidden = 8;
    o.train.max_samples = 4096;
    return o;
  }

  // Every original file reads back byte-identical through the store's view, with the inode it had.
  void expect_all_files_identical(const std::map<std::string, uint64_t>& inos = {}) {
    StoreView view(*store_, cache::CacheOptions{}, 2);
    for (const auto& [path, bytes] : originals_) {
      auto rec = store_->get_file(path);
      ASSERT_TRUE(rec) << path;
      std::vector<uint8_t> got(rec->size);
      ASSERT_EQ(view.read(path, 0, got), got.size()) << path;
      EXPECT_TRUE(got == bytes) << path << " differs";
      if (!inos.empty()) {
        EXPECT_EQ(rec->ino, inos.at(path)) << path;
      }
    }
  }

  std::map<std::string, uint64_t> inodes() const {
    std::map<std::string, uint64_t> out;
    for (const auto& [path, bytes] : originals_) out[path] = store_->get_file(path)->ino;
    return out;
  }

  srsfs::test::TempDir tmp_;
  std::unique_ptr<Store> store_;
  std::map<std::string, Bytes> originals_;
};

TEST_F(RetrainTest, CurrentModelIsAMetaKeyGuardingItsModel) {
  EXPECT_FALSE(store_->current_model());
  EXPECT_FALSE(current_scan_model(*store_));
  EXPECT_EQ(code_of([&] { store_->set_current_model(999); }), Errc::not_found);
  // The compressor's lms scans carry no model; every file of a scan is found through its scan.
  for (const auto& s : store_->list_scans()) {
    EXPECT_EQ(s.model_id, 0u);
    EXPECT_EQ(store_->scan_files(s.id).size(), 25u) << s.path;  // 24 frames + synth.json
  }
  // Not a paper model: it can be current (the store does not parse it) but not run.
  const uint64_t id = store_->put_model(Bytes{1, 2, 3}, R"({"kind":"fc"})");
  store_->set_current_model(id);
  EXPECT_EQ(store_->current_model(), id);
  EXPECT_EQ(code_of([&] { store_->delete_model(id); }), Errc::invalid_argument);
  EXPECT_EQ(code_of([&] { current_scan_model(*store_); }), Errc::corrupt);
  store_->set_current_model(0);
  EXPECT_FALSE(store_->current_model());
  store_->delete_model(id);
  EXPECT_TRUE(store_->check().ok());
}

TEST_F(RetrainTest, RecompressWithoutACurrentModelKeepsLmsScans) {
  // Nothing promoted: the target is LMS, which the scans already use.
  RetrainOptions o = options(ModelKind::fc);
  o.recompress_threshold_pct = -100;
  EXPECT_TRUE(recompress_scans(*store_, o).empty());
  EXPECT_EQ(code_of([&] { retrain(*store_, options(ModelKind::lms)); }), Errc::invalid_argument);
}

#if SRSFS_WITH_TORCH

TEST_F(RetrainTest, MeasuresCandidateAgainstLmsAndDecides) {
  RetrainReport rep = retrain(*store_, options(ModelKind::fc));
  std::printf("retrain fc vs lms: %s %.4f bits/pixel, %s %.4f bits/pixel (%.2f%%, %.1f s): %s\n",
              rep.incumbent.label.c_str(), rep.incumbent.bits_per_pixel, rep.candidate.label.c_str(),
              rep.candidate.bits_per_pixel, rep.improvement_pct, rep.train_seconds, rep.decision.c_str());
  EXPECT_EQ(rep.scans.size(), 2u);
  EXPECT_EQ(rep.scans[0], "scan_2");  // newest first
  EXPECT_EQ(rep.train_frames, 24u);
  EXPECT_EQ(rep.eval_frames, 24u);
  EXPECT_EQ(rep.eval_pixels, 2u * 12 * 64 * 64);
  EXPECT_EQ(rep.incumbent.label, "lms");
  EXPECT_GT(rep.incumbent.bits_per_pixel, 1.0);
  EXPECT_GT(rep.candidate.bits_per_pixel, 1.0);
  EXPECT_EQ(rep.version, 1u);
  EXPECT_EQ(rep.promoted, rep.improvement_pct > 0.5);
  EXPECT_EQ(store_->current_model().has_value(), rep.promoted);
  EXPECT_EQ(store_->list_models().size(), rep.promoted ? 1u : 0u);
  EXPECT_TRUE(store_->check().ok());
}

TEST_F(RetrainTest, PromotesOnlyABetterVersionAndRecompressesVerified) {
  const auto inos = inodes();
  // Forced promotion of v1 (any margin above -1000% passes), then re-encode every scan with it.
  RetrainOptions o = options(ModelKind::fc);
  o.promote_margin_pct = -1000;
  o.recompress = true;
  o.recompress_threshold_pct = -1000;
  RetrainReport v1 = retrain(*store_, o);
  ASSERT_TRUE(v1.promoted) << v1.decision;
  ASSERT_NE(v1.candidate.model_id, 0u);
  EXPECT_EQ(store_->current_model(), v1.candidate.model_id);
  ASSERT_EQ(v1.recompressed.size(), 2u);
  for (const auto& r : v1.recompressed) {
    EXPECT_NE(r.new_scan, 0u) << r.path << ": " << r.note;
    EXPECT_NE(r.new_scan, r.old_scan);
  }
  for (const auto& s : store_->list_scans()) EXPECT_EQ(s.model_id, v1.candidate.model_id) << s.path;
  EXPECT_EQ(store_->get_model(v1.candidate.model_id)->refcount, 2u);
  expect_all_files_identical(inos);
  ASSERT_TRUE(store_->check().ok());

  // The same training again: the candidate (v2) is no better than v1, which stays current.
  RetrainReport same = retrain(*store_, options(ModelKind::fc));
  EXPECT_EQ(same.incumbent.model_id, v1.candidate.model_id);
  EXPECT_NE(same.incumbent.label.find("fc v1"), std::string::npos) << same.incumbent.label;
  EXPECT_EQ(same.version, 2u);
  EXPECT_FALSE(same.promoted) << same.decision;
  EXPECT_EQ(store_->current_model(), v1.candidate.model_id);
  EXPECT_EQ(store_->list_models().size(), 1u);

  // A re-encode that does not reach its threshold changes nothing.
  RetrainOptions keep = options(ModelKind::fc);
  keep.promote_margin_pct = -1000;
  RetrainReport v2 = retrain(*store_, keep);
  ASSERT_TRUE(v2.promoted);
  keep.recompress_threshold_pct = 1000;
  for (const auto& r : recompress_scans(*store_, keep)) EXPECT_EQ(r.new_scan, 0u) << r.path;
  EXPECT_EQ(store_->get_model(v1.candidate.model_id)->refcount, 2u);

  // Moving every scan to v2 releases v1: nothing references it and it is no longer current.
  keep.recompress_threshold_pct = -1000;
  for (const auto& r : recompress_scans(*store_, keep)) EXPECT_NE(r.new_scan, 0u) << r.path;
  EXPECT_FALSE(store_->get_model(v1.candidate.model_id));
  EXPECT_EQ(store_->get_model(v2.candidate.model_id)->refcount, 2u);
  expect_all_files_identical(inos);
  EXPECT_TRUE(store_->check().ok());

  // The compressor's hook: the promoted model decodes.
  auto cur = current_scan_model(*store_);
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->id, v2.candidate.model_id);
  EXPECT_EQ(cur->model.kind, ModelKind::fc);
}

TEST_F(RetrainTest, AdminRetrainAndModelsCommands) {
  const fsys::path admin = srsfs::test::bin_dir() / "srsfs-admin";
  if (!fsys::exists(admin)) GTEST_SKIP() << admin << " is not built (cmake --build ... --target srsfs-admin)";
  store_.reset();  // the command opens the store for writing
  const fsys::path out = tmp_ / "out.json";
  auto run = [&](const std::string& args) {
    std::string cmd = fmt::format("'{}' {} --store '{}' > '{}'", admin.string(), args, (tmp_ / "store").string(), out.string());
    int rc = std::system(cmd.c_str());
    std::ifstream in(out);
    return std::make_pair(WEXITSTATUS(rc), nlohmann::json::parse(in, nullptr, false));
  };
  auto [rc, rep] = run("retrain --model fc --scans 2 --margin -1000 --threads 2 --epochs 1 --hidden 8 --samples 4096 --json");
  ASSERT_EQ(rc, 0);
  ASSERT_TRUE(rep.is_object());
  EXPECT_TRUE(rep["promoted"].get<bool>());
  EXPECT_EQ(rep["incumbent"]["label"], "lms");
  EXPECT_GT(rep["incumbent"]["bits_per_pixel"].get<double>(), 0.0);
  EXPECT_GT(rep["candidate"]["bits_per_pixel"].get<double>(), 0.0);
  const uint64_t id = rep["candidate"]["model"].get<uint64_t>();

  auto [rc2, models] = run("models --json");
  ASSERT_EQ(rc2, 0);
  ASSERT_TRUE(models.is_array());
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["id"].get<uint64_t>(), id);
  EXPECT_EQ(models[0]["kind"], "fc");
  EXPECT_EQ(models[0]["version"], 1);
  EXPECT_TRUE(models[0]["current"].get<bool>());
  EXPECT_EQ(models[0]["provenance"]["source"], "retrain");
  EXPECT_EQ(models[0]["provenance"]["trained_on"].size(), 2u);

  auto [rc3, rec] = run("retrain --model fc --scans 2 --recompress --threshold -1000 --threads 2 --epochs 1 --hidden 8 --samples 4096 --json");
  ASSERT_EQ(rc3, 0);
  EXPECT_FALSE(rec["promoted"].get<bool>()) << rec["decision"];
  EXPECT_EQ(rec["recompressed"].size(), 2u);
  auto [rc4, after] = run("models --json");
  ASSERT_EQ(rc4, 0);
  EXPECT_EQ(after[0]["scans"].size(), 2u);
  EXPECT_EQ(after[0]["refcount"], 2);

  open();
  expect_all_files_identical();
  EXPECT_TRUE(store_->check().ok());
}

#endif  // SRSFS_WITH_TORCH

}  // namespace
}  // namespace srsfs::fs
