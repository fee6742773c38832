#include "fs/store_records.h"

#include "fs/file_xattrs.h"

namespace srsfs::fs {

namespace {

// The tag byte that starts a file record's xattr tail, and versions it: a reader meets an unknown tag only in a
// record written by a newer srsfs, and refuses it.
constexpr uint8_t kFileXattrTail = 1;

// Empty when the attributes keep FileRecord::xattrs' rules, else what is wrong.
std::string xattr_problem(const UserXattrs& xattrs) {
  for (size_t i = 0; i < xattrs.size(); ++i) {
    const std::string& name = xattrs[i].first;
    if (!is_kept_user_xattr(name) || name.find('\0') != std::string::npos)
      return fmt::format("attribute name '{}' is not a user.* name srsfs keeps", name);
    if (i > 0 && !(xattrs[i - 1].first < name)) return fmt::format("attribute '{}' is out of order or repeated", name);
  }
  if (user_xattr_bytes(xattrs) > kMaxUserXattrBytes)
    return fmt::format("attributes take {} bytes, more than {}", user_xattr_bytes(xattrs), kMaxUserXattrBytes);
  return {};
}

}  // namespace

const char* scan_state_name(ScanState s) noexcept {
  switch (s) {
    case ScanState::raw: return "raw";
    case ScanState::queued: return "queued";
    case ScanState::compressing: return "compressing";
    case ScanState::compressed: return "compressed";
  }
  return "unknown";
}

Bytes encode(const ScanRecord& r) {
  Bytes out;
  ByteWriter w(out);
  w.u64(r.id);
  w.str(r.path);
  w.u8(uint8_t(r.state));
  w.u64(r.model_id);
  w.u64(r.raw_bytes);
  w.u64(r.stored_bytes);
  w.i64(r.committed_at);
  w.u32(r.blocks);
  w.blob(r.codec_header);
  return out;
}

ScanRecord decode_scan(ByteSpan value) {
  ByteReader in(value, "scan record");
  ScanRecord r;
  r.id = in.u64();
  r.path = in.str();
  uint8_t state = in.u8();
  require(state <= uint8_t(ScanState::compressed), "scan record: unknown state");
  r.state = ScanState(state);
  r.model_id = in.u64();
  r.raw_bytes = in.u64();
  r.stored_bytes = in.u64();
  r.committed_at = in.i64();
  r.blocks = in.u32();
  ByteSpan h = in.blob();
  r.codec_header.assign(h.begin(), h.end());
  in.expect_done();
  return r;
}

Bytes encode(const FileRecord& r) {
  Bytes out;
  ByteWriter w(out);
  w.u64(r.scan_id);
  w.u64(r.size);
  w.u32(r.mode);
  w.u32(r.uid);
  w.u32(r.gid);
  for (const Timespec* t : {&r.atime, &r.mtime, &r.ctime}) {
    w.i64(t->sec);
    w.i64(t->nsec);
  }
  w.u64(r.ino);
  w.u64(r.checksum);
  w.blob(r.codec_entry);
  if (!r.xattrs.empty()) {
    if (std::string why = xattr_problem(r.xattrs); !why.empty()) fail(Errc::invalid_argument, "{}: {}", r.path, why);
    w.u8(kFileXattrTail);
    w.varint(r.xattrs.size());
    for (const auto& [name, value] : r.xattrs) {
      w.str(name);
      w.str(value);
    }
  }
  return out;
}

FileRecord decode_file(std::string path, ByteSpan value) {
  ByteReader in(value, "file record");
  FileRecord r;
  r.path = std::move(path);
  r.scan_id = in.u64();
  r.size = in.u64();
  r.mode = in.u32();
  r.uid = in.u32();
  r.gid = in.u32();
  for (Timespec* t : {&r.atime, &r.mtime, &r.ctime}) {
    t->sec = in.i64();
    t->nsec = in.i64();
  }
  r.ino = in.u64();
  r.checksum = in.u64();
  ByteSpan e = in.blob();
  r.codec_entry.assign(e.begin(), e.end());
  if (!in.done()) {
    const uint8_t tag = in.u8();
    if (tag != kFileXattrTail)
      fail(Errc::corrupt, "file record {}: unknown tail {} (written by a newer srsfs?)", r.path, tag);
    const size_t n = in.count(2);  // each attribute takes two length varints at least
    if (n == 0) fail(Errc::corrupt, "file record {}: empty xattr tail", r.path);
    r.xattrs.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      std::string name = in.str();
      r.xattrs.emplace_back(std::move(name), in.str());
    }
    if (std::string why = xattr_problem(r.xattrs); !why.empty()) fail(Errc::corrupt, "file record {}: {}", r.path, why);
  }
  in.expect_done();
  return r;
}

Bytes encode(const ModelRecord& r) {
  Bytes out;
  ByteWriter w(out);
  w.u64(r.id);
  w.blob(r.params);
  w.str(r.provenance_json);
  w.u64(r.refcount);
  w.i64(r.created_at);
  return out;
}

ModelRecord decode_model(ByteSpan value) {
  ByteReader in(value, "model record");
  ModelRecord r;
  r.id = in.u64();
  ByteSpan p = in.blob();
  r.params.assign(p.begin(), p.end());
  r.provenance_json = in.str();
  r.refcount = in.u64();
  r.created_at = in.i64();
  in.expect_done();
  return r;
}

}  // namespace srsfs::fs
