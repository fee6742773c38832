#include "codec/scan_manifest.h"

#include <set>

#include "codec/error.h"

namespace srsfs::codec {
namespace {
constexpr uint8_t kManifestVersion = 1;
constexpr uint8_t kEntryVersion = 1;
}  // namespace

uint64_t ScanManifest::raw_bytes() const {
  uint64_t n = 0;
  for (const auto& f : files) n += f.size;
  return n;
}

bool is_safe_relative_path(std::string_view p) noexcept {
  if (p.empty() || p.front() == '/' || p.size() > 4096) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    std::string_view part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos) return false;
    start = end + 1;
  }
  return true;
}

void write_file_entry(ByteWriter& w, const FileEntry& f) {
  w.u8(kEntryVersion);
  w.str(f.path);
  w.varint(f.size);
  w.varint(f.mode);
  w.i64(f.mtime_sec);
  w.varint(uint64_t(f.mtime_nsec));
  w.u64(f.checksum);
  w.u8(uint8_t(f.kind));
  if (f.kind == FileKind::frame) {
    w.varint(f.frame_index);
    w.varint(f.layout_index);
  } else {
    w.varint(f.blob_index);
  }
}

FileEntry read_file_entry(ByteReader& r) {
  FileEntry f;
  uint8_t v = r.u8();
  if (v != kEntryVersion) fail(Errc::corrupt, "file entry: unknown version {}", v);
  f.path = r.str();
  if (!is_safe_relative_path(f.path)) fail(Errc::corrupt, "file entry: unsafe path '{}'", f.path);
  f.size = r.varint();
  uint64_t mode = r.varint();
  if (mode > 07777) fail(Errc::corrupt, "file entry {}: bad mode {:o}", f.path, mode);
  f.mode = uint32_t(mode);
  f.mtime_sec = r.i64();
  uint64_t nsec = r.varint();
  if (nsec >= 1000000000) fail(Errc::corrupt, "file entry {}: bad nanoseconds", f.path);
  f.mtime_nsec = int64_t(nsec);
  f.checksum = r.u64();
  uint8_t kind = r.u8();
  if (kind == uint8_t(FileKind::frame)) {
    f.kind = FileKind::frame;
    uint64_t idx = r.varint();
    if (idx > UINT32_MAX) fail(Errc::corrupt, "file entry {}: bad frame index", f.path);
    f.frame_index = uint32_t(idx);
    uint64_t layout = r.varint();
    if (layout > UINT32_MAX) fail(Errc::corrupt, "file entry {}: bad layout index", f.path);
    f.layout_index = uint32_t(layout);
  } else if (kind == uint8_t(FileKind::fallback)) {
    f.kind = FileKind::fallback;
    uint64_t idx = r.varint();
    if (idx > UINT32_MAX) fail(Errc::corrupt, "file entry {}: bad blob index", f.path);
    f.blob_index = uint32_t(idx);
  } else {
    fail(Errc::corrupt, "file entry {}: unknown kind {}", f.path, kind);
  }
  return f;
}

Bytes serialize_file_entry(const FileEntry& f) {
  Bytes out;
  ByteWriter w(out);
  write_file_entry(w, f);
  return out;
}

FileEntry parse_file_entry(ByteSpan data) {
  ByteReader r(data, "file entry");
  FileEntry f = read_file_entry(r);
  r.expect_done();
  return f;
}

Bytes serialize_manifest(const ScanManifest& m) {
  Bytes out;
  ByteWriter w(out);
  w.u8(kManifestVersion);
  w.varint(m.geom.width);
  w.varint(m.geom.height);
  w.varint(m.geom.frames);
  w.varint(m.geom.group_frames);
  w.varint(m.geom.band_rows);
  w.u8(uint8_t(m.model));
  w.varint(m.blob_count);
  w.varint(m.layouts.size());
  for (const auto& l : m.layouts) w.blob(l);
  w.varint(m.files.size());
  for (const auto& f : m.files) write_file_entry(w, f);
  return out;
}

ScanManifest parse_manifest(ByteSpan data, bool complete) {
  ByteReader r(data, "scan manifest");
  uint8_t v = r.u8();
  if (v != kManifestVersion) fail(Errc::corrupt, "scan manifest: unknown version {}", v);
  ScanManifest m;
  auto u32 = [&](const char* what) {
    uint64_t x = r.varint();
    if (x > UINT32_MAX) fail(Errc::corrupt, "scan manifest: {} out of range", what);
    return uint32_t(x);
  };
  m.geom.width = u32("width");
  m.geom.height = u32("height");
  m.geom.frames = u32("frames");
  m.geom.group_frames = u32("group");
  m.geom.band_rows = u32("band");
  if (m.geom.frames) m.geom.validate();
  uint8_t kind = r.u8();
  if (kind > uint8_t(ModelKind::gru)) fail(Errc::corrupt, "scan manifest: unknown model kind {}", kind);
  m.model = ModelKind(kind);
  m.blob_count = u32("blob count");
  m.layouts.resize(r.count(1));
  for (auto& l : m.layouts) {
    ByteSpan b = r.blob();
    l.assign(b.begin(), b.end());
  }
  size_t n = r.count(12);
  m.files.reserve(n);
  std::set<std::string> paths;
  std::vector<bool> frame_seen(m.geom.frames, false);
  for (size_t i = 0; i < n; ++i) {
    FileEntry f = read_file_entry(r);
    if (!paths.insert(f.path).second) fail(Errc::corrupt, "scan manifest: duplicate file {}", f.path);
    if (f.kind == FileKind::frame) {
      if (f.frame_index >= m.geom.frames || frame_seen[f.frame_index])
        fail(Errc::corrupt, "scan manifest: file {} has bad frame index {}", f.path, f.frame_index);
      frame_seen[f.frame_index] = true;
      if (f.layout_index >= m.layouts.size())
        fail(Errc::corrupt, "scan manifest: file {} refers to missing layout {}", f.path, f.layout_index);
    } else if (f.blob_index >= m.blob_count) {
      fail(Errc::corrupt, "scan manifest: file {} refers to missing blob {}", f.path, f.blob_index);
    }
    m.files.push_back(std::move(f));
  }
  r.expect_done();
  for (uint32_t i = 0; complete && i < m.geom.frames; ++i)
    if (!frame_seen[i]) fail(Errc::corrupt, "scan manifest: frame {} has no file", i);
  return m;
}

}  // namespace srsfs::codec
