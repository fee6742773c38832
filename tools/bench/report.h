// What one run measured, printed as markdown tables (with the method under each) and as JSON.
#pragma once
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>


namespace srsfs::bench {

struct Row {
  std::string codec;       // table label
  std::string scope;       // short method column: "per frame", "scan blocks 64f x 135r", ...
  std::string method;      // what exactly was measured (printed under the table)
  uint64_t raw_bytes = 0;  // 16-bit (or 32-bit, sparse case) pixel bytes coded
  uint64_t compressed_bytes = 0;
  uint64_t pixels = 0;
  double encode_s = 0, decode_s = 0;
  unsigned threads = 1;
  bool verified = false;             // every frame decoded bit-exactly
  std::optional<double> floor_bits;  // noise floor, bits/pixel, of the pixels this row coded
  std::string error;                 // non-empty: the codec failed; the numbers are not valid

  double ratio() const { return raw_bytes ? double(compressed_bytes) / double(raw_bytes) : 0; }
  double bits_per_pixel() const { return pixels ? 8.0 * double(compressed_bytes) / double(pixels) : 0; }
  double encode_mbs() const { return encode_s > 0 ? double(raw_bytes) / 1e6 / encode_s : 0; }
  double decode_mbs() const { return decode_s > 0 ? double(raw_bytes) / 1e6 / decode_s : 0; }
};

// One table: a set of rows measured on the same pixels.
struct Table {
  std::string title;
  std::string pixels_desc;  // "46 frames × 135×160", "16 frames × 256×512 centre crop of …"
  std::string noise_method;
  std::vector<Row> rows;
  std::vector<std::string> notes;  // extra lines under the table
};

struct DatasetResult {
  std::string dir;
  uint32_t frames = 0, width = 0, height = 0;
  uint64_t file_bytes = 0;
  std::vector<std::string> skipped;
  std::vector<Table> tables;  // full set; then the paper subset if any
};

struct BenchResult {
  unsigned cores = 0, threads = 0;
  std::string cpu;
  std::string command;
  std::vector<DatasetResult> datasets;
  std::vector<Table> extra;  // the sparse photon-counting case
};

void print_table(std::ostream& out, const Table& t);
void print_result(std::ostream& out, const BenchResult& r);
nlohmann::json to_json(const BenchResult& r);

}  // namespace srsfs::bench
