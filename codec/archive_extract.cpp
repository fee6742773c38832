#include "codec/archive_extract.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "codec/error.h"
#include "codec/file_io.h"
#include "codec/scan_decoder.h"

namespace srsfs::codec {
namespace fs = std::filesystem;
namespace {

void write_original(const fs::path& root, const FileEntry& f, ByteSpan data) {
  fs::path p = root / f.path;
  fs::create_directories(p.parent_path());
  // The mode and times are set on the temporary, by descriptor, before it takes the name: never through a
  // path someone could swap, and a file that has its name is complete. (One syncfs at the end.)
  fs::path tmp;
  UniqueFd fd = create_temp_beside(p, 0600, tmp);
  try {
    write_all(fd.get(), data, tmp);
    // The mode in full: the umask narrowed the one given at creation.
    if (::fchmod(fd.get(), f.mode & 07777) != 0) throw_errno("cannot set the mode of " + p.string(), errno);
    const struct timespec times[2] = {{f.mtime_sec, f.mtime_nsec}, {f.mtime_sec, f.mtime_nsec}};
    if (::futimens(fd.get(), times) != 0) throw_errno("cannot set the times of " + p.string(), errno);
    if (::rename(tmp.c_str(), p.c_str()) != 0) throw_errno(fmt::format("cannot rename {} to {}", tmp.string(), p.string()), errno);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
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
