#include "fs/store_view.h"

#include <cstring>
#include <map>
#include <optional>

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
  codec::ScanManifest header;
  std::vector<codec::TiffLayout> layouts;  // parsed once per scan
  std::unique_ptr<codec::BlockCodec> codec;
};

StoreView::StoreView(Store& store, cache::CacheOptions cache_opts, unsigned decode_threads, std::filesystem::path source)
    : store_(store), source_(std::move(source)), cache_(cache_opts), threads_(codec::resolve_threads(decode_threads)) {}

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

std::shared_ptr<const StoreView::ScanContext> StoreView::context(uint64_t scan_id) {
  {
    std::lock_guard lock(mu_);
    auto it = contexts_.find(scan_id);
    if (it != contexts_.end()) return it->second;
  }
  auto scan = store_.get_scan(scan_id);
  if (!scan) fail(Errc::not_found, "scan {} is gone from the store", scan_id);
  auto ctx = std::make_shared<ScanContext>();
  ctx->scan_id = scan_id;
  ctx->header = decode_scan_header(scan->codec_header);
  for (const auto& l : ctx->header.layouts) ctx->layouts.push_back(codec::parse_layout(l));
  ctx->codec = codec::make_block_codec(stored_scan_model(store_, *scan, ctx->header.model));
  std::lock_guard lock(mu_);
  return contexts_.emplace(scan_id, std::move(ctx)).first->second;
}

void StoreView::forget_scan(uint64_t scan_id) {
  std::lock_guard lock(mu_);
  contexts_.erase(scan_id);
}

StoreView::Value StoreView::assemble_frame(const ScanContext& ctx, uint32_t frame, bool whole_group) {
  const codec::ScanGeometry& g = ctx.header.geom;
  const uint32_t group = g.group_of(frame), k = frame - group * g.group_frames;
  // Frames are coded in order within a group: a cold read of frame k decodes frames 0..k only; a sequential
  // reader's prefetch decodes the whole group. Every frame decoded on the way is cached (frames, not blocks,
  // are the cache's unit: a block is only ever needed to make frames).
  const uint32_t upto = whole_group ? g.frames_in(group) : k + 1;
  const size_t row_bytes = size_t(g.width) * 2;
  std::vector<Value> frames(upto, Value(row_bytes * g.height));
  codec::parallel_for(g.bands(), threads_, [&](size_t b) {
    const uint32_t index = g.block_index(group, uint32_t(b));
    std::vector<uint16_t> dec;
    codec::decode_block(g, *ctx.codec, index, store_.get_block(ctx.scan_id, index), dec, upto);
    const uint32_t nr = g.rows_in(uint32_t(b));
    for (uint32_t j = 0; j < upto; ++j)
      std::memcpy(frames[j].data() + size_t(b) * g.band_rows * row_bytes,
                  reinterpret_cast<const uint8_t*>(dec.data()) + size_t(j) * nr * row_bytes, nr * row_bytes);
  });
  for (uint32_t j = 0; j < upto; ++j)
    if (j != k) cache_.put_if_absent(CacheKey{ctx.scan_id, kFrameItem | (group * g.group_frames + j)}, std::move(frames[j]));
  return std::move(frames[k]);
}

std::shared_ptr<const StoreView::Value> StoreView::frame_pixels(const ScanContext& ctx, uint32_t frame) {
  return cache_.get_or_load(CacheKey{ctx.scan_id, kFrameItem | frame}, [&] {
    // A reader whose previous frame is cached walks the scan in order: give it the whole group at once
    // rather than decoding 0..k again for every k.
    const uint32_t k = frame % ctx.header.geom.group_frames;
    const bool sequential = k > 0 && cache_.get(CacheKey{ctx.scan_id, kFrameItem | (frame - 1)}) != nullptr;
    return assemble_frame(ctx, frame, sequential);
  });
}

std::shared_ptr<const StoreView::Value> StoreView::fallback_bytes(const ScanContext& ctx, const codec::FileEntry& e) {
  const uint32_t index = ctx.header.geom.frames ? ctx.header.geom.block_count() + e.blob_index : e.blob_index;
  return cache_.get_or_load(CacheKey{ctx.scan_id, kBlobItem | e.blob_index},
                            [&] { return codec::fallback_decompress(store_.get_block(ctx.scan_id, index), e.size); });
}

struct StoreView::Opened final : OpenedFile {
  std::string path;  // at open, for messages
  uint64_t size = 0;
  codec::FileEntry entry;
  std::shared_ptr<const ScanContext> ctx;
  ScanPin pin;  // the scan's blocks stay while the file is open, whatever happens to its name
};

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
  const ScanContext& ctx = *o.ctx;
  const codec::FileEntry& e = o.entry;
  if (e.kind == codec::FileKind::frame) {
    auto px = frame_pixels(ctx, e.frame_index);
    // Sequential readers: decode the next group ahead while this one is served.
    const auto& g = ctx.header.geom;
    if (offset + n == o.size && e.frame_index + 1 < g.frames && (e.frame_index + 1) % g.group_frames == 0) {
      uint32_t next = e.frame_index + 1;
      auto self = o.ctx;
      cache_.prefetch(CacheKey{ctx.scan_id, kFrameItem | next}, [this, self, next] { return assemble_frame(*self, next, true); });
    }
    codec::rebuild_tiff_range(ctx.layouts[e.layout_index], reinterpret_cast<const uint16_t*>(px->data()), offset,
                              out.first(n));
  } else {
    auto bytes = fallback_bytes(ctx, e);
    std::memcpy(out.data(), bytes->data() + offset, n);
  }
  return n;
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
