// The records the store keeps. Codec-owned parts (scan header, per-file entry) are opaque bytes here.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "codec/bytes.h"

namespace srsfs::fs {

enum class ScanState : uint8_t { raw = 0, queued, compressing, compressed };
const char* scan_state_name(ScanState s) noexcept;

struct Timespec {
  int64_t sec = 0;
  int64_t nsec = 0;
  bool operator==(const Timespec&) const = default;
};

struct ScanRecord {
  uint64_t id = 0;
  std::string path;  // directory relative to the mount source
  ScanState state = ScanState::raw;
  uint64_t model_id = 0;  // 0: no model (e.g. every file went through the fallback)
  uint64_t raw_bytes = 0, stored_bytes = 0;
  int64_t committed_at = 0;  // unix seconds
  uint32_t blocks = 0;       // blocks 0 .. blocks-1 exist in the blob store
  Bytes codec_header;        // opaque: the codec's scan header (geometry, params)
  bool operator==(const ScanRecord&) const = default;
};

struct FileRecord {
  std::string path;  // relative to the mount source
  uint64_t scan_id = 0;
  uint64_t size = 0;
  uint32_t mode = 0, uid = 0, gid = 0;
  Timespec atime, mtime, ctime;
  uint64_t ino = 0;       // stable st_ino; 0 at commit: the store assigns one
  uint64_t checksum = 0;  // XXH3-64 of the original bytes
  Bytes codec_entry;      // opaque: frame index + TIFF layout, or a fallback blob reference
  // The raw file's user.* extended attributes (fs/file_xattrs.h): sorted by name, unique, never user.srsfs.*,
  // at most kMaxUserXattrBytes in all. Served read-only by the compressed file.
  using Xattrs = std::vector<std::pair<std::string, std::string>>;
  Xattrs xattrs;
  bool operator==(const FileRecord&) const = default;
};

struct ModelRecord {
  uint64_t id = 0;
  Bytes params;
  std::string provenance_json;
  uint64_t refcount = 0;  // committed scans that decode with this model
  int64_t created_at = 0;
  bool operator==(const ModelRecord&) const = default;
};

// Result of Store::check(). `problems` are inconsistencies or damage; `notes` are expected transient states
// (e.g. an unfinished scan of a writer that is running, or crashed and is cleaned up by the next open).
struct CheckReport {
  uint64_t scans = 0, files = 0, models = 0, blocks = 0, block_bytes = 0;
  std::vector<std::string> problems;
  std::vector<std::string> notes;
  bool ok() const { return problems.empty(); }
};

// Value encodings (little-endian, see codec/bytes.h; docs/format.md §6). The file path is the key, not part of
// the value. A file record's xattrs are an optional tail, absent when there are none, so records without them
// are byte-identical to those of srsfs before xattrs were kept. encode(FileRecord) throws
// Errc::invalid_argument for xattrs that break the rules above.
Bytes encode(const ScanRecord& r);
Bytes encode(const FileRecord& r);
Bytes encode(const ModelRecord& r);
ScanRecord decode_scan(ByteSpan value);
FileRecord decode_file(std::string path, ByteSpan value);
ModelRecord decode_model(ByteSpan value);

}  // namespace srsfs::fs
