// Writing a synthetic scan to a directory: TIFF frames plus synth.json.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "codec/error.h"
#include "codec/synth_scan.h"
#include "codec/tiff_layout.h"

namespace srsfs::codec {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};

void write_file(const std::filesystem::path& path, const void* data, size_t size) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "wb"));
  if (!f) fail(Errc::io, "{}: cannot create: {}", path.string(), std::strerror(errno));
  if (size && std::fwrite(data, 1, size, f.get()) != size)
    fail(Errc::io, "{}: write failed: {}", path.string(), std::strerror(errno));
  if (std::fclose(f.release()) != 0) fail(Errc::io, "{}: close failed: {}", path.string(), std::strerror(errno));
}

}  // namespace

std::string synth_json(const SynthOptions& o, size_t ellipsoids, double floor_bits) {
  return fmt::format(
      "{{\n"
      "  \"generator\": \"srsfs synth v1\",\n"
      "  \"frames\": {},\n"
      "  \"size\": [{}, {}],\n"
      "  \"width\": {},\n"
      "  \"height\": {},\n"
      "  \"file_pattern\": \"frame_%05d.tif\",\n"
      "  \"parameters\": {{\"seed\": {}, \"step_deg\": {}, \"flat\": {}, \"flat_variation\": {}, \"drift\": {}, "
      "\"dark\": {}, \"read_noise\": {}, \"ellipsoids\": {}, \"rows_per_strip\": {}}},\n"
      "  \"noise_floor_bits_per_pixel\": {:.6f},\n"
      "  \"noise_floor_cr\": {:.6f},\n"
      "  \"noise_floor_max_ratio\": {:.6f}\n"
      "}}\n",
      o.frames, o.width, o.height, o.width, o.height, o.seed, o.step_deg, o.flat, o.flat_variation, o.drift, o.dark,
      o.read_noise, ellipsoids, o.rows_per_strip, floor_bits, floor_bits / 16, floor_bits > 0 ? 16 / floor_bits : 0.0);
}

SynthSummary write_synth_scan(const std::filesystem::path& dir, const SynthOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  SynthScan scan(options);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail(Errc::io, "{}: cannot create directory: {}", dir.string(), ec.message());

  SynthSummary s;
  for (uint32_t i = 0; i < options.frames; ++i) {
    Bytes tiff = write_gray16_tiff(scan.frame(i), options.rows_per_strip);
    write_file(dir / fmt::format("frame_{:05d}.tif", i), tiff.data(), tiff.size());
    ++s.frames_written;
  }
  s.noise_floor_bits = scan.noise_floor_bits();
  const std::string json = synth_json(options, scan.ellipsoid_count(), s.noise_floor_bits);
  write_file(dir / "synth.json", json.data(), json.size());
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace srsfs::codec
