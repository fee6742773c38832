// What a coded scan is made of, apart from its block bytes: geometry, model kind and every file with the
// metadata and checksum needed to give it back byte-identical. Shared by the .srs archive (docs/format.md)
// and the filesystem store, which both persist it with serialize_manifest / serialize_file_entry.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codec/block_codec.h"
#include "codec/bytes.h"
#include "codec/scan_codec.h"

namespace srsfs::codec {

enum class FileKind : uint8_t {
  frame = 0,     // a plain 16-bit TIFF: pixels in the frame blocks, the rest in a layout of the scan
  fallback = 1,  // anything else: zstd of the whole file in blob `blob_index`
};

struct FileEntry {
  std::string path;  // relative to the scan directory, '/'-separated
  uint64_t size = 0;
  uint32_t mode = 0;  // permission bits
  int64_t mtime_sec = 0, mtime_nsec = 0;
  uint64_t checksum = 0;  // XXH3-64 of the original bytes
  FileKind kind = FileKind::fallback;
  uint32_t frame_index = 0;  // frame
  uint32_t layout_index = 0; // frame: index into ScanManifest::layouts
  uint32_t blob_index = 0;   // fallback
  bool operator==(const FileEntry&) const = default;
};

struct ScanManifest {
  ScanGeometry geom;  // frames == 0 when the scan has no coded frames (all fallback)
  ModelKind model = ModelKind::lms;
  uint32_t blob_count = 0;
  // Distinct TIFF layout records (serialize_layout) of the frames: a detector writes the same header and
  // strip table into every frame, so a scan usually has one.
  std::vector<Bytes> layouts;
  std::vector<FileEntry> files;
  uint64_t raw_bytes() const;
};

Bytes serialize_file_entry(const FileEntry& f);
FileEntry parse_file_entry(ByteSpan data);  // throws Errc::corrupt
void write_file_entry(ByteWriter& w, const FileEntry& f);
FileEntry read_file_entry(ByteReader& r);

Bytes serialize_manifest(const ScanManifest& m);
// Validates cross-references: frame indices unique and < frames, blob indices < blob_count, safe paths.
// complete=false accepts a header-only manifest (files stored elsewhere, as in the filesystem store).
ScanManifest parse_manifest(ByteSpan data, bool complete = true);

// A relative path that cannot escape its directory: no absolute, empty, '.' or '..' components.
bool is_safe_relative_path(std::string_view p) noexcept;

}  // namespace srsfs::codec
