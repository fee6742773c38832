// The compressed side of the mount: files committed to the store, read back through the block cache.
// The cache's unit for frames is one band of one frame (a few hundred KB at any frame size), so that a read
// of a byte range decodes only the bands it needs, a frame larger than the cache is still served, and decode
// work is never evicted before the read it serves has its bytes. Fallback files are cached in 1 MiB chunks.
#pragma once
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cache/block_cache.h"
#include "cache/work_slots.h"
#include "codec/scan_manifest.h"
#include "fs/compressed_view.h"
#include "fs/store.h"

namespace srsfs::fs {

struct CacheKey {
  uint64_t scan = 0;
  uint64_t item = 0;  // kind in the top bits (frame band or fallback chunk), then the frame or blob index
  uint64_t part = 0;  // the band of the frame, or the chunk of the fallback file
  bool operator==(const CacheKey&) const = default;
};
struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const noexcept {
    return std::hash<uint64_t>()((k.scan * 0x9E3779B97F4A7C15ull ^ k.item) * 0xC2B2AE3D27D4EB4Full ^ k.part);
  }
};

inline constexpr uint64_t kFallbackChunk = 1u << 20;  // fallback files are cached in pieces of this size

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
  // The largest group of decoded pixels among the scans read since start (0 before the first read), and the
  // scans whose group the cache cannot hold: their sequential reads decode some frames more than once.
  uint64_t largest_group_bytes() const;
  std::vector<std::string> cache_warnings() const;
  // Bytes decoded since start (pixels of every block decoded, fallback files decompressed): the decode work
  // reads cost, which a cache too small for the readers makes larger than what they read.
  uint64_t decoded_bytes() const { return decoded_bytes_.load(std::memory_order_relaxed); }
  Store& store() { return store_; }
  // Drops decoders of scans that changed (re-encoded or deleted): the next read reloads them.
  void forget_scan(uint64_t scan_id);
  void set_stop_check(std::function<bool()> check) override { slots_.set_stop_check(std::move(check)); }
  void stop_reads() override { slots_.stop(); }
  ~StoreView() override { slots_.stop(); }  // queued read-ahead gives up; running decodes finish

 private:
  struct ScanContext;  // manifest header, model, codec of one scan
  struct Opened;       // a file record with its scan's context and its pinned blocks
  using Value = std::vector<uint8_t>;
  using Ctx = std::shared_ptr<const ScanContext>;
  Ctx context(uint64_t scan_id);
  // Band `band` of frame `frame`, from the cache or decoded (with the frames decode_upto names, each cached).
  std::shared_ptr<const Value> band_pixels(const Ctx& ctx, uint32_t frame, uint32_t band, bool in_order);
  Value decode_band(const ScanContext& ctx, uint32_t frame, uint32_t band, bool in_order);
  // How far a read of `frame` decodes its group: to the frame for a random reader, further ahead for one
  // walking the scan in order (as far as the cache holds).
  uint32_t decode_upto(const ScanContext& ctx, uint32_t frame, bool in_order) const;
  // Queues the decode of the `count` bands that follow band `band` of frame `frame` (on into the next frame,
  // which a reader that gets there reads in order).
  void read_ahead(const Ctx& ctx, uint32_t frame, uint32_t band, uint32_t count, bool in_order);
  size_t read_frame(const Opened& o, uint64_t offset, std::span<uint8_t> out, bool sequential);
  size_t read_fallback(const Opened& o, uint64_t offset, std::span<uint8_t> out);
  static CompressedEntry entry_of(const FileRecord& r);

  Store& store_;
  std::filesystem::path source_;
  unsigned threads_;
  cache::WorkSlots slots_;  // one decode a core, readers and read-ahead together; outlives the cache's pool
  cache::BlockCache<CacheKey, Value, CacheKeyHash> cache_;
  mutable std::mutex mu_;  // guards contexts_, largest_group_, warnings_
  std::unordered_map<uint64_t, Ctx> contexts_;
  uint64_t largest_group_ = 0;
  std::vector<std::string> warnings_;
  std::atomic<uint64_t> decoded_bytes_{0};
};

// The scan header kept in ScanRecord::codec_header: the manifest without its files.
Bytes encode_scan_header(const codec::ScanManifest& m);
codec::ScanManifest decode_scan_header(ByteSpan header);
// The model a stored scan decodes with: its header's kind and, for the paper modes, the stored parameters.
codec::ScanModel stored_scan_model(const Store& store, const ScanRecord& scan, codec::ModelKind kind);

}  // namespace srsfs::fs
