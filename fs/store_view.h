// The compressed side of the mount: files committed to the store, read back through the block cache.
// A frame is assembled from its group's decoded band blocks and cached whole (reads come in 128 KiB pieces;
// rebuilding TIFF bytes from a cached frame is a copy); fallback files are cached decompressed.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cache/block_cache.h"
#include "codec/scan_manifest.h"
#include "fs/compressed_view.h"
#include "fs/store.h"

namespace srsfs::fs {

struct CacheKey {
  uint64_t scan = 0;
  uint64_t item = 0;  // kind in the top bits: decoded block, assembled frame or fallback file
  bool operator==(const CacheKey&) const = default;
};
struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const noexcept { return std::hash<uint64_t>()(k.scan * 0x9E3779B97F4A7C15ull ^ k.item); }
};

class StoreView final : public CompressedView {
 public:
  // source: SOURCE's root, where rename_dir finds the subdirectories of a renamed tree; empty: only the files
  // directly inside a renamed directory move.
  StoreView(Store& store, cache::CacheOptions cache_opts, unsigned decode_threads = 0,
            std::filesystem::path source = {});

  std::optional<CompressedEntry> lookup(const std::string& dir_rel, const std::string& name) override;
  std::vector<CompressedEntry> list(const std::string& dir_rel) override;
  size_t read(const std::string& rel_path, uint64_t offset, std::span<uint8_t> out) override;
  std::shared_ptr<const OpenedFile> open(const std::string& rel_path) override;
  size_t read(const OpenedFile& file, uint64_t offset, std::span<uint8_t> out) override;
  void unlink(const std::string& rel_path) override;
  void rename(const std::string& from_rel, const std::string& to_rel) override;
  void rename_dir(const std::string& from_rel, const std::string& to_rel) override;
  std::optional<std::string> getxattr(const std::string& rel_path, const std::string& name) override;
  std::vector<std::string> listxattr(const std::string& rel_path) override;

  cache::CacheStatsSnapshot cache_stats() const { return cache_.stats(); }
  size_t cache_capacity() const { return cache_.capacity_bytes(); }
  Store& store() { return store_; }
  // Drops decoders of scans that changed (re-encoded or deleted): the next read reloads them.
  void forget_scan(uint64_t scan_id);

 private:
  struct ScanContext;  // manifest header, model, codec of one scan
  struct Opened;       // a file record with its scan's context and its pinned blocks
  using Value = std::vector<uint8_t>;
  std::shared_ptr<const ScanContext> context(uint64_t scan_id);
  std::shared_ptr<const Value> frame_pixels(const ScanContext& ctx, uint32_t frame);
  // The loader of frame_pixels; prefetches call it directly (a loader must not wait on its own key).
  // Decodes the frame's group up to the frame (or whole) and caches every other frame it decoded.
  Value assemble_frame(const ScanContext& ctx, uint32_t frame, bool whole_group);
  std::shared_ptr<const Value> fallback_bytes(const ScanContext& ctx, const codec::FileEntry& e);
  static CompressedEntry entry_of(const FileRecord& r);

  Store& store_;
  std::filesystem::path source_;
  cache::BlockCache<CacheKey, Value, CacheKeyHash> cache_;
  unsigned threads_;
  std::mutex mu_;
  std::unordered_map<uint64_t, std::shared_ptr<const ScanContext>> contexts_;
};

// The scan header kept in ScanRecord::codec_header: the manifest without its files.
Bytes encode_scan_header(const codec::ScanManifest& m);
codec::ScanManifest decode_scan_header(ByteSpan header);
// The model a stored scan decodes with: its header's kind and, for the paper modes, the stored parameters.
codec::ScanModel stored_scan_model(const Store& store, const ScanRecord& scan, codec::ModelKind kind);

}  // namespace srsfs::fs
