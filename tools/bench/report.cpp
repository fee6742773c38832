#include "tools/bench/report.h"

#include <ostream>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <nlohmann/json.hpp>

namespace srsfs::bench {
namespace {

// Throughputs span 0.01 to 1000 MB/s: keep two significant-ish digits for the slow paper modes.
std::string mbs(double v) { return v < 10 ? fmt::format("{:.2f}", v) : fmt::format("{:.1f}", v); }

std::string opt_num(const std::optional<double>& v, const char* fmtstr) {
  return v ? fmt::format(fmt::runtime(fmtstr), *v) : std::string("—");
}

nlohmann::json row_json(const Row& r) {
  nlohmann::json j = {{"codec", r.codec},
                      {"scope", r.scope},
                      {"method", r.method},
                      {"raw_bytes", r.raw_bytes},
                      {"compressed_bytes", r.compressed_bytes},
                      {"pixels", r.pixels},
                      {"ratio_percent", 100 * r.ratio()},
                      {"bits_per_pixel", r.bits_per_pixel()},
                      {"encode_seconds", r.encode_s},
                      {"decode_seconds", r.decode_s},
                      {"encode_MBps", r.encode_mbs()},
                      {"decode_MBps", r.decode_mbs()},
                      {"threads", r.threads},
                      {"verified", r.verified}};
  if (r.floor_bits) {
    j["noise_floor_bits_per_pixel"] = *r.floor_bits;
    j["bits_above_floor"] = r.bits_per_pixel() - *r.floor_bits;
  }
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

nlohmann::json table_json(const Table& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const Row& r : t.rows) rows.push_back(row_json(r));
  return {{"title", t.title}, {"pixels", t.pixels_desc}, {"noise_floor_method", t.noise_method}, {"rows", rows},
          {"notes", t.notes}};
}

}  // namespace

void print_table(std::ostream& out, const Table& t) {
  fmt::print(out, "### {}\n\n{}\n\n", t.title, t.pixels_desc);
  fmt::print(out, "| codec | method | CR % | bits/px | bits above floor | enc MB/s | dec MB/s | threads |\n");
  fmt::print(out, "|---|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : t.rows) {
    if (!r.error.empty()) {
      fmt::print(out, "| {} | {} | FAILED: {} | | | | | {} |\n", r.codec, r.scope, r.error, r.threads);
      continue;
    }
    std::optional<double> above;
    if (r.floor_bits) above = r.bits_per_pixel() - *r.floor_bits;
    fmt::print(out, "| {} | {} | {:.2f}{} | {:.3f} | {} | {} | {} | {} |\n", r.codec, r.scope, 100 * r.ratio(),
               r.verified ? "" : " (NOT VERIFIED)", r.bits_per_pixel(), opt_num(above, "{:+.3f}"), mbs(r.encode_mbs()),
               mbs(r.decode_mbs()), r.threads);
  }
  fmt::print(out, "\nCR = compressed bytes / raw pixel bytes. MB/s = raw pixel MB (10^6 B) per second of wall time. "
                  "Every row was decoded and compared bit for bit with its input.\n");
  fmt::print(out, "Noise floor: {}{}\n\n", t.noise_method,
             t.rows.empty() || !t.rows[0].floor_bits ? "" : fmt::format(" = {:.3f} bits/px", *t.rows[0].floor_bits));
  for (const Row& r : t.rows) fmt::print(out, "- **{}**: {}\n", r.codec, r.method);
  for (const std::string& n : t.notes) fmt::print(out, "- {}\n", n);
  fmt::print(out, "\n");
}

void print_result(std::ostream& out, const BenchResult& r) {
  fmt::print(out, "Machine: {} cores ({}); srsfs threads: {}. Command: {}\n\n", r.cores, r.cpu, r.threads, r.command);
  for (const DatasetResult& d : r.datasets) {
    fmt::print(out, "## {}\n\n{} frames of {}x{} (W x H), {:.2f} MB of TIFF files, {:.2f} MB of raw pixels{}\n\n", d.dir,
               d.frames, d.width, d.height, double(d.file_bytes) / 1e6, 2e-6 * double(d.frames) * d.width * d.height,
               d.skipped.empty() ? "" : fmt::format("; {} files skipped (not plain gray16)", d.skipped.size()));
    for (const Table& t : d.tables) print_table(out, t);
  }
  for (const Table& t : r.extra) print_table(out, t);
}

nlohmann::json to_json(const BenchResult& r) {
  nlohmann::json ds = nlohmann::json::array();
  for (const DatasetResult& d : r.datasets) {
    nlohmann::json tables = nlohmann::json::array();
    for (const Table& t : d.tables) tables.push_back(table_json(t));
    ds.push_back({{"dir", d.dir}, {"frames", d.frames}, {"width", d.width}, {"height", d.height},
                  {"file_bytes", d.file_bytes}, {"skipped", d.skipped}, {"tables", tables}});
  }
  nlohmann::json extra = nlohmann::json::array();
  for (const Table& t : r.extra) extra.push_back(table_json(t));
  return {{"cores", r.cores}, {"cpu", r.cpu}, {"threads", r.threads}, {"command", r.command}, {"datasets", ds},
          {"extra", extra}};
}

}  // namespace srsfs::bench
