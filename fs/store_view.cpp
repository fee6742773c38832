#include "fs/store_view.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>

#include "codec/error.h"
#include "codec/fallback.h"
#include "codec/tiff_layout.h"

namespace srsfs::fs {
namespace {
constexpr uint64_t kFrameItem = 1ull << 62, kBlobItem = 2ull << 62;

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

// st_blocks of a compressed file: its share of what its scan stores (size x stored/raw), in 512-byte units
// rounded up, so that du shows the saving, as ZFS and btrfs report compressed files. A scan record that
// cannot be found, or stores nothing, leaves the raw count.
blkcnt_t stored_blocks(uint64_t size, const std::optional<ScanRecord>& scan) {
  if (!scan || scan->raw_bytes == 0 || scan->stored_bytes == 0) return blkcnt_t((size + 511) / 512);
  using u128 = unsigned __int128;  // size x stored_bytes overflows 64 bits for large scans
  u128 den = u128(scan->raw_bytes) * 512;
  return blkcnt_t((u128(size) * scan->stored_bytes + den - 1) / den);
}
}  // namespace

Bytes encode_scan_header(const codec::ScanManifest& m) {
  codec::ScanManifest h = m;
  h.files.clear();
  return codec::serialize_manifest(h);
}

codec::ScanManifest decode_scan_header(ByteSpan header) { return codec::parse_manifest(header, false); }

codec::ScanModel stored_scan_model(const Store& store, const ScanRecord& scan, codec::ModelKind kind) {
  codec::ScanModel model;
  model.kind = kind;
  if (scan.model_id) {
    auto m = store.get_model(scan.model_id);
    if (!m) fail(Errc::corrupt, "scan {} refers to missing model {}", scan.path, scan.model_id);
    model.params = m->params;
  }
  return model;
}

struct StoreView::ScanContext {
  uint64_t scan_id = 0;
  std::string path;  // for messages
  codec::ScanManifest header;
  std::vector<codec::TiffLayout> layouts;  // parsed once per scan
  std::unique_ptr<codec::BlockCodec> codec;
  uint64_t frame_bytes = 0, group_bytes = 0;  // decoded pixels of one frame, of one (full) group
  // The frame opened last: an open of the frame after it means a reader walking the scan in order.
  mutable std::atomic<int64_t> last_opened{-1};
};

struct StoreView::Opened final : OpenedFile {
  std::string path;  // at open, for messages
  uint64_t size = 0;
  codec::FileEntry entry;
  Ctx ctx;
  ScanPin pin;  // the scan's blocks stay while the file is open, whatever happens to its name
  bool scan_in_order = false;  // opened right after the scan's previous frame
  // Where the next read starts if this handle reads on in order (read-ahead state, per handle).
  mutable std::atomic<uint64_t> next_offset{0};
};

namespace {
cache::CacheOptions view_cache_options(cache::CacheOptions o) {
  // A shard keeps only values smaller than its share of the capacity: give every shard room for at least 16
  // of the largest pieces the view caches (a band of a 16k-wide frame, a fallback chunk: about 1 MiB), so
  // that a small cache has fewer shards rather than none that can hold a piece.
  o.shards = std::clamp<size_t>(o.capacity_bytes / (16 * kFallbackChunk), 1, std::max<size_t>(o.shards, 1));
  // LRU, not S3-FIFO: a reader in order reads each piece once, soon after a decode cached it ahead. LRU keeps
  // what was decoded ahead longer than what was already read; S3-FIFO's second chances (one per hit, and a
  // piece is hit once per 128 KiB request) do the opposite, and evict the pieces still to be read.
  o.policy = cache::EvictionPolicy::lru;
  return o;
}
}  // namespace

StoreView::StoreView(Store& store, cache::CacheOptions cache_opts, unsigned decode_threads, std::filesystem::path source)
    : store_(store),
      source_(std::move(source)),
      threads_(codec::resolve_threads(decode_threads)),
      slots_(threads_),
      cache_(view_cache_options(cache_opts)) {}

CompressedEntry StoreView::entry_of(const FileRecord& r) {
  CompressedEntry e;
  e.name = r.path.substr(r.path.rfind('/') == std::string::npos ? 0 : r.path.rfind('/') + 1);
  e.st.st_mode = S_IFREG | (r.mode & 07777);
  e.st.st_nlink = 1;
  e.st.st_uid = r.uid;
  e.st.st_gid = r.gid;
  e.st.st_size = off_t(r.size);
  e.st.st_blocks = blkcnt_t((r.size + 511) / 512);
  e.st.st_blksize = 128 * 1024;
  e.st.st_ino = ino_t(r.ino);
  e.st.st_atim = {r.atime.sec, r.atime.nsec};
  e.st.st_mtim = {r.mtime.sec, r.mtime.nsec};
  e.st.st_ctim = {r.ctime.sec, r.ctime.nsec};
  return e;
}

std::optional<CompressedEntry> StoreView::lookup(const std::string& dir_rel, const std::string& name) {
  auto r = store_.get_file(join(dir_rel, name));
  if (!r) return std::nullopt;
  CompressedEntry e = entry_of(*r);
  e.st.st_blocks = stored_blocks(r->size, store_.get_scan(r->scan_id));
  return e;
}

std::vector<CompressedEntry> StoreView::list(const std::string& dir_rel) {
  std::vector<CompressedEntry> out;
  std::map<uint64_t, std::optional<ScanRecord>> scans;  // a directory's files are usually one scan's
  for (const auto& r : store_.list_dir(dir_rel)) {
    auto it = scans.find(r.scan_id);
    if (it == scans.end()) it = scans.emplace(r.scan_id, store_.get_scan(r.scan_id)).first;
    out.push_back(entry_of(r));
    out.back().st.st_blocks = stored_blocks(r.size, it->second);
  }
  return out;
}

StoreView::Ctx StoreView::context(uint64_t scan_id) {
  {
    std::lock_guard lock(mu_);
    auto it = contexts_.find(scan_id);
    if (it != contexts_.end()) return it->second;
  }
  auto scan = store_.get_scan(scan_id);
  if (!scan) fail(Errc::not_found, "scan {} is gone from the store", scan_id);
  auto ctx = std::make_shared<ScanContext>();
  ctx->scan_id = scan_id;
  ctx->path = scan->path;
  ctx->header = decode_scan_header(scan->codec_header);
  for (const auto& l : ctx->header.layouts) ctx->layouts.push_back(codec::parse_layout(l));
  ctx->codec = codec::make_block_codec(stored_scan_model(store_, *scan, ctx->header.model));
  const codec::ScanGeometry& g = ctx->header.geom;
  ctx->frame_bytes = uint64_t(g.width) * g.height * 2;
  ctx->group_bytes = ctx->frame_bytes * std::min(g.group_frames, std::max(g.frames, 1u));
  std::lock_guard lock(mu_);
  auto [it, added] = contexts_.emplace(scan_id, std::move(ctx));
  const ScanContext& c = *it->second;
  largest_group_ = std::max(largest_group_, c.group_bytes);
  if (added && g.frames && c.group_bytes > cache_.capacity_bytes()) {
    std::string w = fmt::format(
        "scan {}: one group ({} frames of {}x{}) is {:.1f} MiB of decoded pixels, more than the {:.1f} MiB cache: "
        "reading it in order decodes some frames more than once (-o cache_size={}M holds a group)",
        c.path.empty() ? "." : c.path, c.group_bytes / c.frame_bytes, g.width, g.height, double(c.group_bytes) / 1048576,
        double(cache_.capacity_bytes()) / 1048576, (c.group_bytes * 5 / 4 >> 20) + 1);
    spdlog::warn("{}", w);
    if (warnings_.size() < 32) warnings_.push_back(std::move(w));
  }
  return it->second;
}

uint64_t StoreView::largest_group_bytes() const {
  std::lock_guard lock(mu_);
  return largest_group_;
}

std::vector<std::string> StoreView::cache_warnings() const {
  std::lock_guard lock(mu_);
  return warnings_;
}

void StoreView::forget_scan(uint64_t scan_id) {
  std::lock_guard lock(mu_);
  contexts_.erase(scan_id);
}

uint32_t StoreView::decode_upto(const ScanContext& ctx, uint32_t frame, bool in_order) const {
  const codec::ScanGeometry& g = ctx.header.geom;
  const uint32_t group = g.group_of(frame), k = frame - group * g.group_frames;
  if (!in_order) return k + 1;
  // A reader walking the scan reads the next frames soon: decode them now, in the same pass over the block,
  // as many as a third of the cache holds (the rest holds the frame being read, and what others read; more
  // would be evicted before it is read, and decoded again).
  const uint64_t ahead = cache_.capacity_bytes() / 3 / std::max<uint64_t>(ctx.frame_bytes, 1);
  return uint32_t(std::min<uint64_t>(g.frames_in(group), k + 1 + ahead));
}

StoreView::Value StoreView::decode_band(const ScanContext& ctx, uint32_t frame, uint32_t band, bool in_order) {
  const codec::ScanGeometry& g = ctx.header.geom;
  const uint32_t group = g.group_of(frame), k = frame - group * g.group_frames;
  const uint32_t upto = decode_upto(ctx, frame, in_order);
  const uint32_t index = g.block_index(group, band);
  const cache::WorkSlots::Slot slot = slots_.acquire();
  // Frames are coded in order within a block: frame k needs frames 0..k of its band decoded first.
  std::vector<uint16_t> dec;
  codec::decode_block(g, *ctx.codec, index, store_.get_block(ctx.scan_id, index), dec, upto);
  const size_t piece = size_t(g.rows_in(band)) * g.width;  // pixels of one frame's band
  decoded_bytes_.fetch_add(uint64_t(upto) * piece * 2, std::memory_order_relaxed);
  auto band_of = [&](uint32_t j) {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(dec.data() + size_t(j) * piece);
    return Value(p, p + piece * 2);
  };
  // The bands decoded on the way are cached for the readers of those frames: all those ahead (decode_upto
  // bounded them), and for a random reader, who may read the neighbours next, earlier ones within a quarter
  // of the cache (more would only push out what others read; a reader in order has read them already).
  const uint64_t behind = in_order ? 0 : cache_.capacity_bytes() / 4 / std::max<uint64_t>(ctx.frame_bytes, 1);
  for (uint32_t j = k > behind ? uint32_t(k - behind) : 0; j < upto; ++j)
    if (j != k) cache_.put_if_absent(CacheKey{ctx.scan_id, kFrameItem | (group * g.group_frames + j), band}, band_of(j));
  return band_of(k);
}

std::shared_ptr<const StoreView::Value> StoreView::band_pixels(const Ctx& ctx, uint32_t frame, uint32_t band,
                                                               bool in_order) {
  return cache_.get_or_load(CacheKey{ctx->scan_id, kFrameItem | frame, band},
                            [&] { return decode_band(*ctx, frame, band, in_order); });
}

void StoreView::read_ahead(const Ctx& ctx, uint32_t frame, uint32_t band, uint32_t count, bool in_order) {
  const codec::ScanGeometry& g = ctx->header.geom;
  for (uint32_t i = 0; i < count; ++i) {
    if (++band == g.bands()) {  // on into the next frame of the scan, the file a reader in order opens next
      band = 0;
      if (++frame >= g.frames) return;
      in_order = true;
    }
    cache_.prefetch(CacheKey{ctx->scan_id, kFrameItem | frame, band},
                    [this, ctx, frame, band, in_order] { return decode_band(*ctx, frame, band, in_order); });
  }
}

size_t StoreView::read_frame(const Opened& o, uint64_t offset, std::span<uint8_t> out, bool sequential) {
  const ScanContext& ctx = *o.ctx;
  const codec::ScanGeometry& g = ctx.header.geom;
  const codec::TiffLayout& layout = ctx.layouts[o.entry.layout_index];
  const uint32_t frame = o.entry.frame_index;
  const codec::PixelByteRange need = codec::pixel_bytes_of_range(layout, offset, out.size());
  if (need.empty()) {  // header or directory bytes only: nothing to decode
    codec::rebuild_tiff_range(layout, codec::PixelWindow{}, offset, out);
    return out.size();
  }
  const uint64_t row_bytes = uint64_t(g.width) * 2, band_bytes = row_bytes * g.band_rows;
  const uint32_t b0 = uint32_t(need.first / band_bytes), b1 = uint32_t((need.last - 1) / band_bytes);
  // The bands of this read after the first decode on the pool meanwhile; a reader in order also gets the
  // bands after them started, so that every core decodes while it consumes.
  if (b1 > b0) read_ahead(o.ctx, frame, b0, b1 - b0, o.scan_in_order);
  if (sequential) read_ahead(o.ctx, frame, b1, std::max(2u, threads_), o.scan_in_order);
  std::vector<std::shared_ptr<const Value>> bands;
  for (uint32_t b = b0; b <= b1; ++b) bands.push_back(band_pixels(o.ctx, frame, b, o.scan_in_order));
  codec::PixelWindow w{nullptr, uint64_t(b0) * band_bytes, 0};
  Value joined;
  if (bands.size() == 1) {
    w.pixels = reinterpret_cast<const uint16_t*>(bands[0]->data());
    w.bytes = bands[0]->size();
  } else {  // a read across band boundaries (large reads, or strips out of row order)
    for (const auto& b : bands) joined.insert(joined.end(), b->begin(), b->end());
    w.pixels = reinterpret_cast<const uint16_t*>(joined.data());
    w.bytes = joined.size();
  }
  codec::rebuild_tiff_range(layout, w, offset, out);
  return out.size();
}

size_t StoreView::read_fallback(const Opened& o, uint64_t offset, std::span<uint8_t> out) {
  const ScanContext& ctx = *o.ctx;
  const codec::FileEntry& e = o.entry;
  const uint32_t index = ctx.header.geom.frames ? ctx.header.geom.block_count() + e.blob_index : e.blob_index;
  const uint64_t chunks = (e.size + kFallbackChunk - 1) / kFallbackChunk;
  // A blob is one zstd frame: a miss decompresses it whole (a working set of the file's size) and caches the
  // chunks around the one asked for, as many as half the cache holds.
  const uint64_t keep = std::max<uint64_t>(1, cache_.capacity_bytes() / 2 / kFallbackChunk);
  size_t done = 0;
  while (done < out.size()) {
    const uint64_t pos = offset + done, c = pos / kFallbackChunk;
    auto chunk = cache_.get_or_load(CacheKey{ctx.scan_id, kBlobItem | e.blob_index, c}, [&] {
      const cache::WorkSlots::Slot slot = slots_.acquire();
      const Bytes all = codec::fallback_decompress(store_.get_block(ctx.scan_id, index), e.size);
      decoded_bytes_.fetch_add(all.size(), std::memory_order_relaxed);
      auto piece = [&](uint64_t j) {
        const size_t from = size_t(j * kFallbackChunk), to = size_t(std::min<uint64_t>(all.size(), from + kFallbackChunk));
        return Value(all.begin() + ptrdiff_t(from), all.begin() + ptrdiff_t(to));
      };
      for (uint64_t j = c > keep / 4 ? c - keep / 4 : 0; j < std::min(chunks, c + keep); ++j)
        if (j != c) cache_.put_if_absent(CacheKey{ctx.scan_id, kBlobItem | e.blob_index, j}, piece(j));
      return piece(c);
    });
    const uint64_t within = pos - c * kFallbackChunk;
    if (within >= chunk->size()) fail(Errc::corrupt, "{}: fallback chunk {} is short", o.path, c);
    const size_t n = size_t(std::min<uint64_t>(chunk->size() - within, out.size() - done));
    std::memcpy(out.data() + done, chunk->data() + within, n);
    done += n;
  }
  return done;
}

std::shared_ptr<const OpenedFile> StoreView::open(const std::string& rel_path) {
  auto r = store_.get_file(rel_path);
  if (!r) fail(Errc::not_found, "{}: not in the store", rel_path);
  auto o = std::make_shared<Opened>();
  o->pin = store_.pin_scan(r->scan_id);
  o->path = rel_path;
  o->size = r->size;
  o->entry = codec::parse_file_entry(r->codec_entry);
  o->ctx = context(r->scan_id);
  if (o->entry.kind == codec::FileKind::frame) {
    if (o->entry.frame_index >= o->ctx->header.geom.frames) fail(Errc::corrupt, "{}: frame index out of range", rel_path);
    if (o->entry.layout_index >= o->ctx->layouts.size()) fail(Errc::corrupt, "{}: layout index out of range", rel_path);
    const int64_t k = o->entry.frame_index;
    o->scan_in_order = o->ctx->last_opened.exchange(k) == k - 1;
  }
  return o;
}

size_t StoreView::read(const std::string& rel_path, uint64_t offset, std::span<uint8_t> out) {
  return read(*open(rel_path), offset, out);
}

size_t StoreView::read(const OpenedFile& file, uint64_t offset, std::span<uint8_t> out) {
  const Opened& o = dynamic_cast<const Opened&>(file);
  if (offset >= o.size) return 0;
  const size_t n = size_t(std::min<uint64_t>(out.size(), o.size - offset));
  // A handle reads in order when this read starts where its previous one ended (not for the first read: a
  // tool that reads a header must not start the decode of the whole frame).
  const bool sequential = o.next_offset.exchange(offset + n) == offset && offset > 0;
  if (o.entry.kind == codec::FileKind::frame) return read_frame(o, offset, out.first(n), sequential);
  return read_fallback(o, offset, out.first(n));
}

void StoreView::unlink(const std::string& rel_path) { store_.delete_file(rel_path); }

void StoreView::rename(const std::string& from_rel, const std::string& to_rel) { store_.rename_file(from_rel, to_rel); }

void StoreView::rename_dir(const std::string& from_rel, const std::string& to_rel) {
  auto under = [](const std::string& p, const std::string& dir) {
    return dir.empty() || p == dir || (p.starts_with(dir) && p[dir.size()] == '/');
  };
  // Cheap no-op unless a scan lies in the renamed tree or the tree lies in a scan.
  bool any = false;
  for (const auto& s : store_.list_scans()) any = any || under(s.path, from_rel) || under(from_rel, s.path);
  if (!any) return;
  // The files of a scan may sit in its subdirectories; SOURCE (already renamed) names them.
  std::vector<std::string> dirs{""};
  std::error_code ec;
  if (!source_.empty()) {
    const std::filesystem::path top = source_ / to_rel;
    for (std::filesystem::recursive_directory_iterator it(top, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(std::filesystem::relative(it->path(), top).generic_string());
  }
  for (const auto& sub : dirs) {
    const std::string from = sub.empty() ? from_rel : join(from_rel, sub), to = sub.empty() ? to_rel : join(to_rel, sub);
    for (const auto& r : store_.list_dir(from)) store_.rename_file(r.path, join(to, r.path.substr(from.size() + 1)));
  }
}

std::optional<std::string> StoreView::getxattr(const std::string& rel_path, const std::string& name) {
  // A file's attributes are its scan's; a directory that is a compressed scan answers for itself.
  std::optional<ScanRecord> scan;
  if (auto r = store_.get_file(rel_path)) {
    if (!name.starts_with(kXattrPrefix)) {  // one the raw file had (only user.* names are kept)
      for (auto& [n, v] : r->xattrs)
        if (n == name) return std::move(v);
      return std::nullopt;
    }
    if (name == kXattrState) return std::string("compressed");
    scan = store_.get_scan(r->scan_id);
  } else if (!(scan = store_.find_scan(rel_path))) {
    // A scan directory renamed through the mount: its files moved, its record keeps the first path.
    auto files = store_.list_dir(rel_path);
    if (!files.empty()) scan = store_.get_scan(files.front().scan_id);
  }
  if (!scan || !name.starts_with(kXattrPrefix)) return std::nullopt;
  if (name == kXattrScan) return scan->path;
  if (name == kXattrRatio)
    return fmt::format("{:.4f}", scan->raw_bytes ? double(scan->stored_bytes) / double(scan->raw_bytes) : 0.0);
  return std::nullopt;
}

std::vector<std::string> StoreView::listxattr(const std::string& rel_path) {
  std::vector<std::string> names;
  if (auto r = store_.get_file(rel_path))
    for (auto& [n, v] : r->xattrs) names.push_back(std::move(n));
  return names;
}

}  // namespace srsfs::fs
