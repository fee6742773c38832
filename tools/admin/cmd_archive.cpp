// srsfs-admin pack | unpack | verify | info: self-contained .srs archives of one scan directory.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "codec/archive.h"
#include "codec/archive_extract.h"
#include "codec/error.h"
#include "tools/admin/command.h"
#include "tools/admin/progress.h"
#if SRSFS_WITH_TORCH
#include "codec/train/scan_trainer.h"
#endif

namespace srsfs::admin {
namespace {
namespace fs = std::filesystem;
using codec::ModelKind;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct PackArgs {
  std::string dir, archive, model = "lms";
  unsigned threads = 0;
  uint32_t group = 0, band = 0;
  int context = 8;
  double escape = 0.02;
};

codec::ScanManifest pack_one(const PackArgs& a, codec::ModelKind kind, const fs::path& out) {
  codec::EncodeOptions opts;
  opts.params.model = kind;
  opts.params.threads = a.threads;
  opts.params.group_frames = a.group;
  opts.params.band_rows = a.band;
  opts.params.context = a.context;
  opts.params.escape_fraction = a.escape;
#if SRSFS_WITH_TORCH
  opts.trainer = codec::make_model_trainer(int(codec::resolve_threads(a.threads)));
#endif
  Progress bar(fmt::format("pack {}", codec::model_kind_name(kind)));
  opts.progress = [&](uint64_t d, uint64_t t) { bar.update(d, t); };
  codec::ArchiveWriter writer(out);
  codec::ScanManifest m = codec::encode_scan_dir(a.dir, opts, writer);
  writer.finish(m);
  return m;
}

void pack(const PackArgs& a) {
  auto t0 = std::chrono::steady_clock::now();
  if (!fs::is_directory(a.dir)) fail(Errc::invalid_argument, "{}: not a directory", a.dir);
  std::vector<ModelKind> kinds;
  if (a.model == "auto") {
    // Every mode, keeping the smallest archive (model, layouts and index included).
    kinds = {ModelKind::lms};
#if SRSFS_WITH_TORCH
    kinds.insert(kinds.end(), {ModelKind::fc, ModelKind::lstm, ModelKind::gru});
#endif
  } else if (auto kind = codec::parse_model_kind(a.model)) {
    kinds = {*kind};
  } else {
    fail(Errc::invalid_argument, "unknown --model '{}' (lms, fc, lstm, gru or auto)", a.model);
  }
  codec::ScanManifest m;
  uint64_t size = 0;
  for (ModelKind kind : kinds) {
    fs::path out = a.archive;
    if (kinds.size() > 1) out += fmt::format(".{}.candidate", codec::model_kind_name(kind));
    codec::ScanManifest mk = pack_one(a, kind, out);
    uint64_t sk = fs::file_size(out);
    if (kinds.size() > 1) std::printf("  %-5s %12lu bytes\n", codec::model_kind_name(kind), (unsigned long)sk);
    if (size == 0 || sk < size) {
      m = std::move(mk);
      size = sk;
      if (out != fs::path(a.archive)) fs::rename(out, a.archive);
    } else {
      fs::remove(out);
    }
  }
  double s = seconds_since(t0);
  std::printf("packed %zu files (%u frames) of %s with model %s: %.1f MB -> %.1f MB (%.2f%%) in %.1f s, %.1f MB/s\n",
              m.files.size(), m.geom.frames, a.dir.c_str(), codec::model_kind_name(m.model), m.raw_bytes() / 1e6,
              size / 1e6, m.raw_bytes() ? 100.0 * double(size) / double(m.raw_bytes()) : 0.0, s,
              m.raw_bytes() / 1e6 / s);
}

void unpack(const std::string& archive, const std::optional<std::string>& out, unsigned threads) {
  auto t0 = std::chrono::steady_clock::now();
  codec::ArchiveReader reader(archive);
  Progress bar(out ? "unpack" : "verify");
  codec::ExtractOptions opts;
  opts.threads = threads;
  opts.progress = [&](uint64_t d, uint64_t t) { bar.update(d, t); };
  codec::ExtractReport r = codec::extract_archive(reader, out ? std::optional<fs::path>(*out) : std::nullopt, opts);
  double s = seconds_since(t0);
  std::printf("%s %lu files, %.1f MB in %.1f s (%.1f MB/s): every checksum matches\n", out ? "unpacked" : "verified",
              (unsigned long)r.files, r.bytes / 1e6, s, r.bytes / 1e6 / s);
}

void info(const std::string& archive) {
  codec::ArchiveReader reader(archive);
  const auto& m = reader.manifest();
  const auto sz = reader.sizes();
  uint64_t frame_files = 0, frame_bytes = 0;
  for (const auto& f : m.files)
    if (f.kind == codec::FileKind::frame) {
      ++frame_files;
      frame_bytes += f.size;
    }
  const double px = double(m.geom.frames) * m.geom.width * m.geom.height;
  const double raw_px_bytes = px * 2;
  auto bpp = [&](uint64_t b) { return px ? b * 8.0 / px : 0.0; };
  auto cr = [&](uint64_t b) { return raw_px_bytes ? 100.0 * b / raw_px_bytes : 0.0; };
  std::printf("archive      %s (format %u)\n", archive.c_str(), codec::kArchiveVersion);
  std::printf("files        %zu (%lu frames, %zu fallback), %.1f MB original\n", m.files.size(),
              (unsigned long)frame_files, m.files.size() - frame_files, m.raw_bytes() / 1e6);
  std::printf("geometry     %u frames of %ux%u, groups of %u frames, bands of %u rows (%u blocks)\n", m.geom.frames,
              m.geom.width, m.geom.height, m.geom.group_frames, m.geom.band_rows, m.geom.frames ? m.geom.block_count() : 0);
  std::printf("model        %s (%lu bytes)\n", codec::model_kind_name(m.model), (unsigned long)sz.model);
  std::printf("size split   %12s %10s %10s\n", "bytes", "bits/px", "% of raw px");
  auto row = [&](const char* name, uint64_t b) { std::printf("  %-10s %12lu %10.3f %10.2f\n", name, (unsigned long)b, bpp(b), cr(b)); };
  row("pixels", sz.blocks);
  row("model", sz.model);
  row("layouts", sz.layouts);
  row("index", sz.index + sz.header);
  row("fallback", sz.blobs);
  row("total", sz.file);
  if (raw_px_bytes) std::printf("CR           %.2f%% of raw pixel bytes; %.2f%% of the original files\n", cr(sz.file),
                                100.0 * sz.file / double(m.raw_bytes()));
}

Register reg([](CLI::App& app) {
  auto a = std::make_shared<PackArgs>();
  auto* p = app.add_subcommand("pack", "Compress a scan directory into a self-contained .srs archive");
  p->add_option("SCAN_DIR", a->dir, "directory of frames")->required();
  p->add_option("ARCHIVE", a->archive, "output archive")->required();
  p->add_option("--model", a->model, "lms (default), fc, lstm or gru (the paper's models), or auto (every one, keep the smallest)");
  p->add_option("--threads", a->threads, "threads (default: every core)");
  p->add_option("--group", a->group, "frames per group / key-frame interval (default: automatic)");
  p->add_option("--band", a->band, "rows per band (default: automatic)");
  p->add_option("--context", a->context, "paper modes: previous frames K (default 8)");
  p->add_option("--escape", a->escape, "paper modes: escape fraction of the truncated mapping (default 0.02)");
  p->callback([a] { pack(*a); });

  auto archive = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto threads = std::make_shared<unsigned>(0);
  auto* u = app.add_subcommand("unpack", "Restore an archive's files, byte-identical, into OUT_DIR");
  u->add_option("ARCHIVE", *archive)->required();
  u->add_option("OUT_DIR", *out)->required();
  u->add_option("--threads", *threads, "threads (default: every core)");
  u->callback([=] { unpack(*archive, *out, *threads); });

  auto* v = app.add_subcommand("verify", "Decode every file of an archive and check every checksum");
  v->add_option("ARCHIVE", *archive)->required();
  v->add_option("--threads", *threads, "threads (default: every core)");
  v->callback([=] { unpack(*archive, std::nullopt, *threads); });

  auto* i = app.add_subcommand("info", "Show an archive's frames, geometry, model and size split");
  i->add_option("ARCHIVE", *archive)->required();
  i->callback([=] { info(*archive); });
});

}  // namespace
}  // namespace srsfs::admin
