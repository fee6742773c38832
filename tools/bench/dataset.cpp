#include "tools/bench/dataset.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include "codec/error.h"

namespace srsfs::bench {
namespace fs = std::filesystem;

namespace {

Bytes read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail(Errc::io, "cannot open {}", p.string());
  Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(Errc::io, "cannot read {}", p.string());
  return b;
}

bool is_tiff_name(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".tif" || ext == ".tiff";
}

}  // namespace

Dataset load_dataset(const fs::path& dir, size_t max_frames) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(Errc::invalid_argument, "{} is not a directory", dir.string());
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && is_tiff_name(e.path())) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  Dataset ds;
  ds.dir = dir;
  for (const fs::path& p : files) {
    if (max_frames && ds.frames.size() >= max_frames) break;
    Bytes bytes = read_file(p);
    codec::TiffProbe probe = codec::probe_tiff(bytes, p.filename().string());
    if (probe.cls != codec::TiffClass::gray16) {
      ds.skipped.push_back(fmt::format("{}: {}", p.filename().string(), probe.reason));
      continue;
    }
    if (!ds.frames.empty() && (probe.frame.width != ds.width() || probe.frame.height != ds.height()))
      fail(Errc::invalid_argument, "{}: frame is {}x{}, the first frame of {} is {}x{}", p.string(), probe.frame.width,
           probe.frame.height, dir.string(), ds.width(), ds.height());
    ds.file_bytes += bytes.size();
    ds.names.push_back(p.filename().string());
    ds.frames.push_back(std::move(probe.frame));
    ds.layouts.push_back(std::move(probe.layout));
  }
  if (ds.frames.empty())
    fail(Errc::invalid_argument, "{}: no plain 16-bit grey TIFF frames ({} TIFF files, {} skipped)", dir.string(),
         files.size(), ds.skipped.size());
  return ds;
}

}  // namespace srsfs::bench
