#include "codec/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "codec/checksum.h"
#include "codec/error.h"
#include "codec/fallback.h"

namespace srsfs::codec {
namespace {

constexpr uint8_t kMagic[8] = {0x89, 'S', 'R', 'S', '\r', '\n', 0x1a, '\n'};
constexpr uint8_t kTrailerMagic[8] = {'S', 'R', 'S', 'E', 'N', 'D', 0, 1};
constexpr size_t kHeaderSize = 48;
constexpr size_t kTrailerSize = 16;
constexpr uint8_t kIndexVersion = 1;
constexpr uint64_t kMaxIndexSize = 1ull << 30;

struct Header {
  uint16_t version = kArchiveVersion;
  uint64_t index_offset = 0, index_size = 0, index_checksum = 0;
};

Bytes encode_header(const Header& h) {
  Bytes out(kMagic, kMagic + 8);
  ByteWriter w(out);
  w.u16(h.version);
  w.u16(0);  // flags
  w.u32(0);  // reserved
  w.u64(h.index_offset);
  w.u64(h.index_size);
  w.u64(h.index_checksum);
  w.u64(checksum64(out));
  return out;
}

void write_extent(ByteWriter& w, const ArchiveExtent& e) {
  w.varint(e.offset);
  w.varint(e.size);
  w.u64(e.checksum);
}

ArchiveExtent read_extent_record(ByteReader& r, uint64_t data_end) {
  ArchiveExtent e;
  e.offset = r.varint();
  e.size = r.varint();
  e.checksum = r.u64();
  if (e.offset < kHeaderSize || e.offset > data_end || e.size > data_end - e.offset)
    fail(Errc::corrupt, "extent [{}, +{}) outside the data section", e.offset, e.size);
  return e;
}

}  // namespace

ArchiveWriter::ArchiveWriter(std::filesystem::path path) : path_(std::move(path)), offset_(kHeaderSize) {
  // A fresh name with O_EXCL|O_NOFOLLOW: never a symlink or a stale temporary planted beside the archive.
  fd_ = create_temp_beside(path_, 0644, tmp_);
  pwrite_all(fd_.get(), Bytes(kHeaderSize, 0), 0, tmp_);  // the real header is written by finish()
}

ArchiveWriter::ArchiveWriter(UniqueFd fd, std::filesystem::path name)
    : path_(std::move(name)), fd_(std::move(fd)), offset_(kHeaderSize) {
  if (!fd_) fail(Errc::invalid_argument, "archive {}: no open file to write to", path_.string());
  pwrite_all(fd_.get(), Bytes(kHeaderSize, 0), 0, path_);
}

ArchiveWriter::~ArchiveWriter() {
  if (!finished_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

ArchiveExtent ArchiveWriter::append(ByteSpan data) {
  pwrite_all(fd_.get(), data, offset_, tmp_.empty() ? path_ : tmp_);
  ArchiveExtent e{offset_, data.size(), checksum64(data)};
  offset_ += data.size();
  return e;
}

void ArchiveWriter::put_model(const ScanModel& model) {
  model_ = model;
  model_extent_ = append(model.params);
}

void ArchiveWriter::put_block(uint32_t index, Bytes data) {
  if (index != blocks_.size()) fail(Errc::internal, "archive: block {} out of order", index);
  blocks_.push_back(append(data));
}

void ArchiveWriter::put_blob(uint32_t index, Bytes data) {
  if (index != blobs_.size()) fail(Errc::internal, "archive: blob {} out of order", index);
  blobs_.push_back(append(data));
}

void ArchiveWriter::finish(const ScanManifest& manifest) {
  Bytes index;
  ByteWriter w(index);
  w.u8(kIndexVersion);
  w.u8(uint8_t(model_.kind));
  write_extent(w, model_extent_);
  w.varint(blocks_.size());
  for (const auto& e : blocks_) write_extent(w, e);
  w.varint(blobs_.size());
  for (const auto& e : blobs_) write_extent(w, e);
  w.blob(serialize_manifest(manifest));
  Bytes packed = zstd_compress_raw(index, 19);

  Header h;
  h.index_offset = offset_;
  h.index_size = packed.size();
  h.index_checksum = checksum64(packed);
  append(packed);
  Bytes trailer;
  ByteWriter tw(trailer);
  tw.u64(h.index_offset);
  tw.bytes(ByteSpan(kTrailerMagic, 8));
  append(trailer);
  const std::filesystem::path& written = tmp_.empty() ? path_ : tmp_;
  pwrite_all(fd_.get(), encode_header(h), 0, written);
  if (tmp_.empty()) {
    // A caller's descriptor may name a file that was longer: the reader insists the archive ends here.
    if (::ftruncate(fd_.get(), off_t(offset_)) != 0) throw_errno(fmt::format("cannot truncate {}", path_.string()), errno);
    fsync_or_throw(fd_.get(), path_);
    fd_.reset();
    finished_ = true;
    return;
  }
  fsync_or_throw(fd_.get(), tmp_);
  fd_.reset();
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw_errno(fmt::format("cannot rename {} to {}", tmp_.string(), path_.string()), errno);
  finished_ = true;
  fsync_dir(path_.parent_path());
}

ArchiveReader::ArchiveReader(std::filesystem::path path) : path_(std::move(path)) {
  fd_ = open_or_throw(path_, O_RDONLY);
  load();
}

ArchiveReader::ArchiveReader(UniqueFd fd, std::filesystem::path name) : path_(std::move(name)), fd_(std::move(fd)) {
  if (!fd_) fail(Errc::invalid_argument, "archive {}: no open file to read", path_.string());
  load();
}

void ArchiveReader::load() {
  const std::string name = path_.string();
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw_errno("cannot stat " + name, errno);
  file_size_ = uint64_t(st.st_size);
  if (file_size_ < kHeaderSize + kTrailerSize) fail(Errc::corrupt, "{}: too short to be an srsfs archive", name);
  Bytes head(kHeaderSize);
  pread_exact(fd_.get(), head, 0, path_);
  if (std::memcmp(head.data(), kMagic, 8) != 0) fail(Errc::corrupt, "{}: not an srsfs archive (bad magic)", name);
  ByteReader r(ByteSpan(head).subspan(8), "archive header");
  Header h;
  h.version = r.u16();
  r.u16();
  r.u32();
  h.index_offset = r.u64();
  h.index_size = r.u64();
  h.index_checksum = r.u64();
  uint64_t stored = r.u64();
  if (stored != checksum64(ByteSpan(head).first(kHeaderSize - 8)))
    fail(Errc::corrupt, "{}: header checksum mismatch (unfinished or damaged archive)", name);
  if (h.version > kArchiveVersion)
    fail(Errc::unsupported, "{}: archive format {} is newer than this srsfs ({}); upgrade srsfs", name, h.version, kArchiveVersion);
  if (h.index_offset < kHeaderSize || h.index_size > kMaxIndexSize || h.index_offset > file_size_ ||
      h.index_size + kTrailerSize > file_size_ - h.index_offset)
    fail(Errc::corrupt, "{}: truncated (index beyond the end of the file)", name);
  index_size_ = h.index_size;
  if (h.index_offset + h.index_size + kTrailerSize != file_size_)
    fail(Errc::corrupt, "{}: {} bytes where the archive should end (truncated or appended to)", name, file_size_);
  Bytes trailer(kTrailerSize);
  pread_exact(fd_.get(), trailer, file_size_ - kTrailerSize, path_);
  ByteReader tr(trailer, "archive trailer");
  if (tr.u64() != h.index_offset || std::memcmp(trailer.data() + 8, kTrailerMagic, 8) != 0)
    fail(Errc::corrupt, "{}: damaged trailer", name);
  Bytes packed(h.index_size);
  pread_exact(fd_.get(), packed, h.index_offset, path_);
  if (checksum64(packed) != h.index_checksum) fail(Errc::corrupt, "{}: index checksum mismatch", name);
  Bytes index = zstd_decompress_bounded(packed, kMaxIndexSize);
  try {
    ByteReader ir(index, "archive index");
    uint8_t v = ir.u8();
    if (v != kIndexVersion) fail(Errc::corrupt, "unknown index version {}", v);
    uint8_t kind = ir.u8();
    if (kind > uint8_t(ModelKind::gru)) fail(Errc::corrupt, "unknown model kind {}", kind);
    model_.kind = ModelKind(kind);
    const uint64_t data_end = h.index_offset;
    model_extent_ = read_extent_record(ir, data_end);
    blocks_.resize(ir.count(10));
    for (auto& e : blocks_) e = read_extent_record(ir, data_end);
    blobs_.resize(ir.count(10));
    for (auto& e : blobs_) e = read_extent_record(ir, data_end);
    manifest_ = parse_manifest(ir.blob());
    ir.expect_done();
    if (manifest_.model != model_.kind) fail(Errc::corrupt, "model kind differs between index and manifest");
    uint64_t want_blocks = manifest_.geom.frames ? manifest_.geom.block_count() : 0;
    if (blocks_.size() != want_blocks) fail(Errc::corrupt, "{} blocks for a scan that needs {}", blocks_.size(), want_blocks);
    if (blobs_.size() != manifest_.blob_count) fail(Errc::corrupt, "{} blobs, manifest names {}", blobs_.size(), manifest_.blob_count);
    if (model_extent_.size > (256u << 20)) fail(Errc::corrupt, "model of {} bytes", model_extent_.size);
    model_.params = read_extent(model_extent_, "model", 0);
  } catch (const Error& e) {
    if (e.code() != Errc::corrupt) throw;
    fail(Errc::corrupt, "{}: {}", name, e.what());
  }
}

Bytes ArchiveReader::read_extent(const ArchiveExtent& e, const char* what, uint32_t index) const {
  Bytes out(e.size);
  pread_exact(fd_.get(), out, e.offset, path_);
  if (checksum64(out) != e.checksum) fail(Errc::corrupt, "{}: {} {} checksum mismatch", path_.string(), what, index);
  return out;
}

Bytes ArchiveReader::block(uint32_t index) const {
  if (index >= blocks_.size()) fail(Errc::invalid_argument, "{}: no block {}", path_.string(), index);
  return read_extent(blocks_[index], "block", index);
}

Bytes ArchiveReader::blob(uint32_t index) const {
  if (index >= blobs_.size()) fail(Errc::invalid_argument, "{}: no blob {}", path_.string(), index);
  return read_extent(blobs_[index], "blob", index);
}

ArchiveSizes ArchiveReader::sizes() const {
  ArchiveSizes s;
  s.file = file_size_;
  s.model = model_extent_.size;
  for (const auto& e : blocks_) s.blocks += e.size;
  for (const auto& e : blobs_) s.blobs += e.size;
  s.index = index_size_;
  s.header = kHeaderSize + kTrailerSize;
  for (const auto& l : manifest_.layouts) s.layouts += l.size();
  return s;
}

}  // namespace srsfs::codec
