#include "tools/bench/bench_run.h"

#include <fstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "tools/bench/dataset.h"
#include "tools/bench/measure.h"
#include "tools/bench/noise_floor.h"
#include "tools/bench/sparse_case.h"
#include "tools/bench/stock_codecs.h"
#include "tools/bench/subset.h"

namespace srsfs::bench {
namespace {

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

void progress(const Row& r) {
  if (r.error.empty())
    fmt::print(std::cerr, "  {:<22} {:7.2f} %  enc {:8.1f} MB/s  dec {:8.1f} MB/s\n", r.codec, 100 * r.ratio(), r.encode_mbs(),
               r.decode_mbs());
  else
    fmt::print(std::cerr, "  {:<22} FAILED: {}\n", r.codec, r.error);
}

const Row* find(const Table& t, const std::string& codec) {
  for (const Row& r : t.rows)
    if (r.codec == codec && r.error.empty()) return &r;
  return nullptr;
}

DatasetResult run_dataset(const std::string& dir, const BenchOptions& opt) {
  fmt::print(std::cerr, "{}: reading\n", dir);
  Dataset ds = load_dataset(dir, opt.max_frames);
  DatasetResult res;
  res.dir = dir;
  res.frames = uint32_t(ds.frames.size());
  res.width = ds.width();
  res.height = ds.height();
  res.file_bytes = ds.file_bytes;
  res.skipped = ds.skipped;
  NoiseFloor floor = NoiseFloor::for_dataset(dir);
  std::optional<double> floor_all = floor.bits_per_pixel(ds.frames, Crop{0, 0, ds.width(), ds.height()});

  Subset sub = choose_subset(ds.frames, opt.paper_max_pixels);
  bool paper_wanted = false;
  for (codec::ModelKind k : opt.modes) paper_wanted |= k != codec::ModelKind::lms;

  Table all;
  all.title = fmt::format("{}: all {} frames", dir, ds.frames.size());
  all.pixels_desc = fmt::format("{} frames of {}x{} (W x H) uint16, {:.2f} MB of raw pixels", ds.frames.size(), ds.width(),
                                ds.height(), double(ds.raw_pixel_bytes()) / 1e6);
  all.noise_method = floor.method();
  for (codec::ModelKind k : opt.modes) {
    if (k != codec::ModelKind::lms && !sub.whole) continue;  // measured on the subset below
    all.rows.push_back(measure_srsfs(k, ds.frames, &ds.layouts, opt.threads));
    progress(all.rows.back());
  }
  for (const auto& c : make_stock_codecs(opt.stock)) {
    all.rows.push_back(measure_stock(*c, ds.frames));
    progress(all.rows.back());
  }
  for (Row& r : all.rows) r.floor_bits = floor_all;
  const Row* lms = find(all, "srsfs lms");
  const Row* jls = find(all, "JPEG-LS");
  if (lms && jls)
    all.notes.push_back(fmt::format(
        "Throughput target: srsfs lms on {} threads encodes {:.1f} MB/s and decodes {:.1f} MB/s; CharLS JPEG-LS on 1 "
        "thread {:.1f} / {:.1f} MB/s (ratio {:.2f}x / {:.2f}x)",
        lms->threads, lms->encode_mbs(), lms->decode_mbs(), jls->encode_mbs(), jls->decode_mbs(),
        lms->encode_mbs() / jls->encode_mbs(), lms->decode_mbs() / jls->decode_mbs()));
  if (paper_wanted && !paper_modes_available())
    all.notes.push_back("Paper modes (fc/lstm/gru) not measured: this build has no LibTorch training (SRSFS_WITH_TORCH off)");
  res.tables.push_back(std::move(all));

  if (paper_wanted && paper_modes_available() && !sub.whole) {
    Table t;
    t.title = fmt::format("{}: paper modes on a SUBSET", dir);
    t.pixels_desc = sub.desc + "; srsfs lms measured again on the same pixels";
    t.noise_method = floor.method();
    std::optional<double> floor_sub = floor.bits_per_pixel(sub.frames, sub.crop);
    for (codec::ModelKind k : opt.modes) {
      t.rows.push_back(measure_srsfs(k, sub.frames, nullptr, opt.threads));
      t.rows.back().codec += " (subset)";
      progress(t.rows.back());
    }
    for (Row& r : t.rows) r.floor_bits = floor_sub;
    t.notes.push_back("No layout records in this table (the crop is not a file); LMS and paper rows are like for like");
    res.tables.push_back(std::move(t));
  }
  return res;
}

}  // namespace

BenchResult run_bench(const BenchOptions& opt) {
  BenchResult r;
  r.cores = std::thread::hardware_concurrency();
  r.cpu = cpu_name();
  r.threads = opt.threads;
  r.command = opt.command;
  for (const std::string& d : opt.dirs) r.datasets.push_back(run_dataset(d, opt));
  if (opt.sparse) {
    fmt::print(std::cerr, "sparse photon-counting case\n");
    r.extra.push_back(run_sparse_case(SparseOptions{}));
    for (const Row& row : r.extra.back().rows) progress(row);
  }
  return r;
}

}  // namespace srsfs::bench
