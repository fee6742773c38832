// The self-contained .srs archive of one scan (docs/format.md): a header, the model, block and blob bytes,
// and a zstd-compressed index (block/blob offsets and checksums, the scan manifest) at the end.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "codec/file_io.h"
#include "codec/scan_encoder.h"

namespace srsfs::codec {

inline constexpr uint16_t kArchiveVersion = 1;

struct ArchiveExtent {
  uint64_t offset = 0, size = 0, checksum = 0;
};

// By path: writes a temporary beside ARCHIVE (created O_EXCL|O_NOFOLLOW under a fresh name) and renames it
// to ARCHIVE only in finish(), after an fsync: a crash or error never leaves a partial file under the final
// name. Destroying an unfinished writer removes the temporary.
// By descriptor: writes into `fd` (opened for writing by the caller, e.g. PrivateDir::create_file, so no
// path is ever followed); finish() truncates it to the archive's length and fsyncs it, and the caller owns
// naming, removal and the directory fsync. `name` is only for messages. To read it back, pass a dup() of
// the descriptor to ArchiveReader before or after finish().
class ArchiveWriter final : public ScanSink {
 public:
  explicit ArchiveWriter(std::filesystem::path path);
  ArchiveWriter(UniqueFd fd, std::filesystem::path name);
  ~ArchiveWriter() override;
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  void put_model(const ScanModel& model) override;
  void put_block(uint32_t index, Bytes data) override;
  void put_blob(uint32_t index, Bytes data) override;
  void finish(const ScanManifest& manifest);

 private:
  ArchiveExtent append(ByteSpan data);
  std::filesystem::path path_, tmp_;  // tmp_ empty: writing into a caller's descriptor, no rename
  UniqueFd fd_;
  uint64_t offset_;
  ScanModel model_;
  ArchiveExtent model_extent_;
  std::vector<ArchiveExtent> blocks_, blobs_;
  bool finished_ = false;
};

struct ArchiveSizes {
  uint64_t file = 0, model = 0, blocks = 0, blobs = 0, index = 0, header = 0, layouts = 0;
};

// Reads and validates an archive. Every structural field is checked before use; block and blob bytes are
// checked against their checksums on every read (Errc::corrupt names the archive and the part).
class ArchiveReader {
 public:
  explicit ArchiveReader(std::filesystem::path path);
  // Reads from an already-open descriptor (pread only: a dup() shared with a writer is fine); `name` is
  // only for messages.
  ArchiveReader(UniqueFd fd, std::filesystem::path name);
  const ScanManifest& manifest() const { return manifest_; }
  const ScanModel& model() const { return model_; }
  Bytes block(uint32_t index) const;
  Bytes blob(uint32_t index) const;
  ArchiveSizes sizes() const;

 private:
  void load();  // validates the open fd_ and reads the index
  Bytes read_extent(const ArchiveExtent& e, const char* what, uint32_t index) const;
  std::filesystem::path path_;
  UniqueFd fd_;
  uint64_t file_size_ = 0, index_size_ = 0;
  ScanManifest manifest_;
  ScanModel model_;
  ArchiveExtent model_extent_;
  std::vector<ArchiveExtent> blocks_, blobs_;
};

}  // namespace srsfs::codec
