#include "fs/compressor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "codec/archive.h"
#include "codec/archive_extract.h"
#include "codec/checksum.h"
#include "codec/error.h"
#include "codec/file_io.h"
#include "fs/store_view.h"
#if SRSFS_WITH_TORCH
#include "codec/train/scan_trainer.h"
#endif

namespace srsfs::fs {
namespace fsys = std::filesystem;

namespace {
std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

bool same_file(const struct stat& st, const codec::FileEntry& e) {
  return uint64_t(st.st_size) == e.size && st.st_mtim.tv_sec == e.mtime_sec && st.st_mtim.tv_nsec == e.mtime_nsec;
}
}  // namespace

Compressor::Compressor(Store& store, CompressorOptions opts) : store_(store), opts_(std::move(opts)) {
  fsys::create_directories(opts_.spool);
  for (const auto& e : fsys::directory_iterator(opts_.spool)) fsys::remove(e.path());  // a crashed run's leftovers
  for (unsigned i = 0; i < std::max(1u, opts_.workers); ++i) workers_.emplace_back([this] { run(); });
}

Compressor::~Compressor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  workers_.clear();  // joins
}

void Compressor::scan_complete(const std::string& dir_rel) {
  {
    std::lock_guard lock(mu_);
    auto it = state_.find(dir_rel);
    if (it != state_.end() && (it->second == "queued" || it->second == "compressing")) return;
    state_[dir_rel] = "queued";
    queue_.push_back(dir_rel);
  }
  spdlog::info("scan {} complete: queued for compression", dir_rel.empty() ? "." : dir_rel);
  cv_.notify_one();
}

std::string Compressor::scan_state(const std::string& dir_rel) {
  {
    std::lock_guard lock(mu_);
    auto it = state_.find(dir_rel);
    if (it != state_.end()) return it->second;
  }
  if (auto scan = store_.find_scan(dir_rel)) return "compressed";
  return "raw";
}

void Compressor::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
}

void Compressor::run() {
  for (;;) {
    std::string dir;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      dir = std::move(queue_.front());
      queue_.pop_front();
      state_[dir] = "compressing";
      ++busy_;
    }
    std::string result = "compressed";
    try {
      compress_now(dir);
    } catch (const std::exception& e) {
      result = std::string("failed: ") + e.what();
      spdlog::error("scan {}: compression failed, raw files kept: {}", dir, e.what());
    }
    {
      std::lock_guard lock(mu_);
      state_[dir] = result;
      --busy_;
    }
    idle_cv_.notify_all();
  }
}

void Compressor::compress_now(const std::string& dir_rel) {
  const fsys::path dir = opts_.source / dir_rel;
  if (dir_rel.empty()) fail(Errc::invalid_argument, "the source root is not a scan; complete a scan directory inside it");
  if (store_.find_scan(dir_rel)) fail(Errc::invalid_argument, "{}: already compressed (re-encode with srsfs-admin retrain --recompress)", dir_rel);
  const fsys::path spool = opts_.spool / fmt::format("scan-{:016x}.srs", checksum64(ByteSpan(
                                                         reinterpret_cast<const uint8_t*>(dir_rel.data()), dir_rel.size())));
  // 1. Encode into a spool archive.
  codec::EncodeOptions eo;
  eo.params = opts_.params;
#if SRSFS_WITH_TORCH
  eo.trainer = codec::make_model_trainer(int(codec::resolve_threads(opts_.params.threads)));
#endif
  codec::ScanManifest manifest;
  {
    codec::ArchiveWriter writer(spool);
    manifest = codec::encode_scan_dir(dir, eo, writer);
    writer.finish(manifest);
  }
  struct SpoolGuard {
    fsys::path p;
    ~SpoolGuard() { ::unlink(p.c_str()); }
  } guard{spool};
  // 2. Verify: decode every file and compare with the checksums taken from the raw bytes.
  codec::ArchiveReader reader(spool);
  codec::ExtractOptions xo;
  xo.threads = opts_.params.threads;
  codec::extract_archive(reader, std::nullopt, xo);
  // 3. Commit to the store: model, blocks and blobs (blobs follow the frame blocks), then the records.
  uint64_t model_id = 0;
  if (!reader.model().params.empty())
    model_id = store_.put_model(reader.model().params,
                                fmt::format(R"({{"kind":"{}","trained_on":"{}","trained_at":{}}})",
                                            codec::model_kind_name(reader.model().kind), dir_rel, ::time(nullptr)));
  ScanWriter w = store_.begin_scan(dir_rel, model_id, encode_scan_header(manifest));
  const uint32_t nblocks = manifest.geom.frames ? manifest.geom.block_count() : 0;
  uint64_t stored = 0;
  for (uint32_t i = 0; i < nblocks; ++i) {
    Bytes b = reader.block(i);
    stored += b.size();
    w.put_block(i, b);
  }
  for (uint32_t i = 0; i < manifest.blob_count; ++i) {
    Bytes b = reader.blob(i);
    stored += b.size();
    w.put_block(nblocks + i, b);
  }
  std::vector<FileRecord> files;
  uint64_t raw = 0;
  for (const auto& e : manifest.files) {
    struct stat st {};
    if (::lstat((dir / e.path).c_str(), &st) != 0 || !same_file(st, e)) {
      spdlog::warn("{}: changed while being compressed; kept raw", (dir / e.path).string());
      continue;
    }
    FileRecord r;
    r.path = join(dir_rel, e.path);
    r.size = e.size;
    r.mode = st.st_mode & 07777;
    r.uid = st.st_uid;
    r.gid = st.st_gid;
    r.atime = {st.st_atim.tv_sec, st.st_atim.tv_nsec};
    r.mtime = {st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    r.ctime = {st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
    r.ino = st.st_ino;  // the inode number users saw stays the same
    r.checksum = e.checksum;
    r.codec_entry = codec::serialize_file_entry(e);
    raw += e.size;
    files.push_back(std::move(r));
  }
  ScanRecord scan = w.commit(std::move(files), raw);
  spdlog::info("scan {}: {} files, {:.1f} MB -> {:.1f} MB ({:.1f}%), committed", dir_rel, manifest.files.size(),
               raw / 1e6, stored / 1e6, raw ? 100.0 * double(stored) / double(raw) : 0.0);
  // 4. Release the raw files, now that the store holds them durably.
  release_committed(scan);
}

void Compressor::release_committed(const ScanRecord& scan) {
  const fsys::path dir = opts_.source / scan.path;
  for (const auto& r : store_.list_dir(scan.path)) {
    if (r.scan_id != scan.id) continue;
    const fsys::path raw = opts_.source / r.path;
    struct stat st {};
    if (::lstat(raw.c_str(), &st) != 0) continue;  // already released
    // Release only a raw file that is exactly what the store holds.
    if (uint64_t(st.st_size) != r.size || st.st_mtim.tv_sec != r.mtime.sec || st.st_mtim.tv_nsec != r.mtime.nsec) continue;
    if (checksum64(read_whole_file(raw)) != r.checksum) continue;
    if (::unlink(raw.c_str()) != 0) spdlog::warn("cannot release {}: {}", raw.string(), std::strerror(errno));
  }
  std::error_code ec;
  if (fsys::is_directory(dir, ec)) fsync_dir(dir);
}

void Compressor::resume() {
  for (const auto& scan : store_.list_scans()) release_committed(scan);
  if (opts_.complete_marker.empty()) return;
  std::error_code ec;
  for (auto it = fsys::recursive_directory_iterator(opts_.source, fsys::directory_options::skip_permission_denied, ec);
       it != fsys::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->path() == opts_.spool.parent_path()) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() == opts_.complete_marker && it->is_regular_file()) {
      std::string rel = fsys::relative(it->path().parent_path(), opts_.source).generic_string();
      if (rel == ".") rel.clear();
      if (!store_.find_scan(rel)) scan_complete(rel);
    }
  }
}

}  // namespace srsfs::fs
