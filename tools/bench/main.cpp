// srsfs-bench: srsfs's coding modes and stock lossless codecs side by side on the same frames.
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "codec/error.h"
#include "tools/bench/bench_run.h"
#include "tools/bench/stock_codecs.h"

int main(int argc, char** argv) {
  using namespace srsfs;
  bench::BenchOptions opt;
  std::string json_path, modes = "lms,fc,lstm,gru", stock;
  bool no_sparse = false;
  CLI::App app{"Compare srsfs with stock lossless codecs on directories of 16-bit TIFF frames"};
  app.add_option("dirs", opt.dirs, "directories of frames")->required();
  app.add_option("--threads", opt.threads, "srsfs encode/decode threads")->default_val(2)->check(CLI::Range(1, 1024));
  app.add_option("--json", json_path, "also write every number to this JSON file");
  app.add_option("--modes", modes, "srsfs modes: lms,fc,lstm,gru")->default_val(modes);
  app.add_option("--codecs", stock, "stock codecs (" + fmt::format("{}", fmt::join(bench::stock_codec_keys(), ",")) +
                                        "); default all");
  app.add_option("--max-frames", opt.max_frames, "read at most N frames per directory (0 = all)");
  app.add_option("--paper-max-pixels", opt.paper_max_pixels, "pixels the paper modes run on per directory")
      ->default_val(opt.paper_max_pixels);
  app.add_flag("--no-sparse", no_sparse, "skip the synthetic photon-counting case");
  CLI11_PARSE(app, argc, argv);
  try {
    opt.modes.clear();
    for (const auto& m : CLI::detail::split(modes, ',')) {
      auto k = codec::parse_model_kind(m);
      if (!k) fail(Errc::invalid_argument, "--modes: unknown mode '{}' (lms, fc, lstm, gru)", m);
      opt.modes.push_back(*k);
    }
    if (!stock.empty()) opt.stock = CLI::detail::split(stock, ',');
    opt.sparse = !no_sparse;
    for (int i = 0; i < argc; ++i) opt.command += (i ? " " : "") + std::string(argv[i]);
    bench::BenchResult r = bench::run_bench(opt);
    bench::print_result(std::cout, r);
    if (!json_path.empty()) {
      std::ofstream out(json_path);
      out << bench::to_json(r).dump(2) << "\n";
      if (!out) fail(Errc::io, "cannot write {}", json_path);
    }
  } catch (const std::exception& e) {
    std::cerr << "srsfs-bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
