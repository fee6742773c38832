#include "codec/archive_extract.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "codec/error.h"
#include "codec/scan_decoder.h"

namespace srsfs::codec {
namespace fs = std::filesystem;
namespace {

void write_original(const fs::path& root, const FileEntry& f, ByteSpan data) {
  fs::path p = root / f.path;
  fs::create_directories(p.parent_path());
  write_file_atomic(p, data, f.mode, /*durable=*/false);  // one syncfs at the end
  ::chmod(p.c_str(), f.mode);  // the umask may have narrowed the mode given at creation
  struct timespec times[2] = {{f.mtime_sec, f.mtime_nsec}, {f.mtime_sec, f.mtime_nsec}};
  if (::utimensat(AT_FDCWD, p.c_str(), times, 0) != 0) throw_errno("cannot set the times of " + p.string(), errno);
}

}  // namespace

ExtractReport extract_archive(const ArchiveReader& archive, const std::optional<fs::path>& out_dir,
                              const ExtractOptions& opts) {
  const ScanManifest& m = archive.manifest();
  ExtractReport report;
  const uint64_t total = m.raw_bytes();
  uint64_t done = 0;
  auto finish_file = [&](const FileEntry& f, ByteSpan data) {
    if (out_dir) write_original(*out_dir, f, data);
    ++report.files;
    report.bytes += data.size();
    done += data.size();
    if (opts.progress) opts.progress(done, total);
  };
  if (out_dir) fs::create_directories(*out_dir);

  for (const auto& f : m.files)
    if (f.kind == FileKind::fallback) finish_file(f, rebuild_fallback_file(f, archive.blob(f.blob_index)));

  if (m.geom.frames) {
    std::vector<const FileEntry*> by_frame(m.geom.frames, nullptr);
    for (const auto& f : m.files)
      if (f.kind == FileKind::frame) by_frame[f.frame_index] = &f;
    ScanDecoder decoder(m, archive.model());
    auto fetch = [&](uint32_t i) { return archive.block(i); };
    for (uint32_t g = 0; g < m.geom.groups(); ++g) {
      std::vector<Frame16> frames = decoder.decode_group(g, fetch, opts.threads);
      for (uint32_t k = 0; k < frames.size(); ++k) {
        const FileEntry& f = *by_frame[g * m.geom.group_frames + k];
        finish_file(f, rebuild_frame_file(m, f, frames[k]));
      }
    }
  }
  if (out_dir) sync_filesystem(*out_dir);
  return report;
}

}  // namespace srsfs::codec
