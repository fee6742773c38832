#include "fs/compressor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <utility>
#include <algorithm>

#include <spdlog/spdlog.h>

#include "codec/archive.h"
#include "codec/archive_extract.h"
#include "codec/checksum.h"
#include "codec/error.h"
#include "codec/file_io.h"
#include "fs/file_xattrs.h"
#include "fs/private_dir.h"
#include "fs/retrain.h"
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

uint64_t hash_of(const std::string& s) {
  return checksum64(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// a == b, or a lies below b (lexically, both normalised absolute paths).
bool within(const fsys::path& a, const fsys::path& b) {
  auto rel = a.lexically_relative(b);
  return !rel.empty() && *rel.begin() != "..";
}

fsys::path normal(const fsys::path& p) {
  std::error_code ec;
  auto c = fsys::weakly_canonical(p, ec);
  return (ec ? fsys::absolute(p) : c).lexically_normal();
}

std::pair<std::string, std::string> split_rel(const std::string& rel) {
  auto slash = rel.rfind('/');
  if (slash == std::string::npos) return {"", rel};
  return {rel.substr(0, slash), rel.substr(slash + 1)};
}

// The directory dir_rel below SOURCE, opened one component at a time with O_NOFOLLOW: SOURCE is writable by
// its users, and a symlink planted anywhere on the way must never lead a root daemon's unlink elsewhere.
// Invalid (not a directory any more, a symlink, gone): an empty descriptor.
UniqueFd open_dir_beneath(int source_fd, const std::string& dir_rel) {
  UniqueFd cur(::openat(source_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) throw_errno("open the source directory", errno);
  size_t pos = 0;
  while (pos < dir_rel.size()) {
    size_t end = dir_rel.find('/', pos);
    if (end == std::string::npos) end = dir_rel.size();
    const std::string comp = dir_rel.substr(pos, end - pos);
    pos = end + 1;
    if (comp.empty() || comp == "." || comp == "..") return UniqueFd();
    UniqueFd next(::openat(cur.get(), comp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return UniqueFd();
      throw_errno(fmt::format("open {}", dir_rel), errno);
    }
    cur = std::move(next);
  }
  return cur;
}

Bytes read_fd_whole(int fd, uint64_t size, const fsys::path& name) {
  Bytes b(size);
  pread_exact(fd, std::span<uint8_t>(b.data(), b.size()), 0, name);
  return b;
}

bool same_times(const timespec& a, const timespec& b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; }
}  // namespace

Compressor::Compressor(Store& store, CompressorOptions opts) : store_(store), opts_(std::move(opts)) {
  if (const char* p = std::getenv("SRSFS_TEST_PAUSE_AT")) pause_at_ = p;
  source_fd_ = UniqueFd(::open(opts_.source.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!source_fd_) throw_errno(fmt::format("open the source directory {}", opts_.source.string()), errno);
  // Private directories, every file in them made and reopened relative to their descriptors: the daemon is
  // root, and a path someone else could plant there must never be followed.
  spool_dir_.emplace(PrivateDir::open(opts_.spool));
  for (const auto& name : spool_dir_->list()) spool_dir_->remove(name);  // a crashed run's leftovers
  if (!opts_.queue_dir.empty()) queue_dir_.emplace(PrivateDir::open(opts_.queue_dir));
  if (opts_.gate) {
    opts_.gate->set_on_quiet([this](WriteGate::Key k) {
      uint64_t scan = 0;
      {
        std::lock_guard lock(mu_);
        auto it = held_.find(k);
        if (it == held_.end()) return;
        scan = it->second;
        held_.erase(it);
      }
      queue_release(scan);
    });
  }
  for (unsigned i = 0; i < std::max(1u, opts_.workers); ++i) workers_.emplace_back([this] { run(); });
}

Compressor::~Compressor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    stopping_ = true;
  }
  cv_.notify_all();
  workers_.clear();  // joins: each worker gives up its scan at the next file boundary
  if (opts_.gate) opts_.gate->set_on_quiet({});
}

void Compressor::throw_if_stopping() const {
  if (stopping_.load(std::memory_order_relaxed)) throw Stopped();
}

void Compressor::queue_release(uint64_t scan_id) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;  // the next start's resume() releases it
    release_queue_.push_back(scan_id);
  }
  cv_.notify_one();
}

std::string Compressor::queue_file(const std::string& dir_rel) const {
  return fmt::format("{:016x}", hash_of(dir_rel));
}

void Compressor::persist(const std::string& dir_rel, bool queued) noexcept {
  if (!queue_dir_) return;
  try {
    if (queued) {
      queue_dir_->write_file_atomic(queue_file(dir_rel),
                                    ByteSpan(reinterpret_cast<const uint8_t*>(dir_rel.data()), dir_rel.size()),
                                    false);
    } else {
      queue_dir_->remove(queue_file(dir_rel));
    }
  } catch (const std::exception& e) {
    spdlog::warn("scan {}: cannot update the persisted queue: {}", dir_rel, e.what());
  }
}

void Compressor::scan_complete(const std::string& dir_rel) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(dir_rel);
    if (it != jobs_.end() && it->second.phase != Job::Phase::failed) return;  // queued or in progress
    jobs_[dir_rel] = Job{};
    queue_.push_back(dir_rel);
  }
  persist(dir_rel, true);
  spdlog::info("scan {} complete: queued for compression", dir_rel.empty() ? "." : dir_rel);
  cv_.notify_one();
}

std::string Compressor::scan_state(const std::string& dir_rel) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find(dir_rel);
    if (it != jobs_.end()) {
      switch (it->second.phase) {
        case Job::Phase::queued: return "queued";
        case Job::Phase::compressing: return fmt::format("compressing {:.0f}%", 100 * it->second.progress);
        case Job::Phase::failed: return "failed: " + it->second.error;
      }
    }
  }
  if (store_.find_scan(dir_rel)) return "compressed";
  // A compressed scan renamed through the mount: its files moved, its record keeps the old path.
  if (!store_.list_dir(dir_rel).empty()) return "compressed";
  return "raw";
}

CompressorStatus Compressor::status() {
  std::lock_guard lock(mu_);
  CompressorStatus s;
  s.queue_length = queue_.size();
  s.busy = busy_;
  for (const auto& [dir, job] : jobs_) {
    static constexpr const char* kNames[] = {"queued", "compressing", "failed"};
    s.jobs.push_back({dir, kNames[int(job.phase)], job.progress, job.error});
  }
  return s;
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
      cv_.wait(lock, [&] { return stop_ || !queue_.empty() || !release_queue_.empty(); });
      if (stop_) return;
      if (!release_queue_.empty()) {
        const uint64_t scan = release_queue_.front();
        release_queue_.pop_front();
        ++busy_;
        lock.unlock();
        try {
          ReleaseCount n = release_scan(scan);
          if (n.released) spdlog::info("scan {}: {} raw files released after their writers closed", scan, n.released);
        } catch (const Stopped&) {
        } catch (const std::exception& e) {
          spdlog::error("scan {}: cannot release raw files: {}", scan, e.what());
        }
        lock.lock();
        --busy_;
        lock.unlock();
        idle_cv_.notify_all();
        continue;
      }
      dir = std::move(queue_.front());
      queue_.pop_front();
      jobs_[dir].phase = Job::Phase::compressing;
      ++busy_;
    }
    std::string error;
    bool stopped = false;
    try {
      std::set<uint64_t> stored;
      if (!dir.empty()) {
        if (auto scan = store_.find_scan(dir)) stored.insert(scan->id);
        for (const auto& f : store_.list_dir(dir)) stored.insert(f.scan_id);  // renamed since its commit
      }
      if (!stored.empty()) {
        // Completed again (marker after a request, a scan renamed during its release): finish any release
        // left to do; raw files that are not part of the stored scan stay raw.
        size_t released = 0;
        for (uint64_t id : stored) released += release_scan(id).released;
        spdlog::info("scan {}: already compressed; {} raw files released now", dir, released);
      } else {
        compress(dir, [&](double p) {
          std::lock_guard lock(mu_);
          jobs_[dir].progress = p;
        });
      }
    } catch (const Stopped&) {
      stopped = true;
      spdlog::info("scan {}: interrupted because the daemon is stopping; it resumes at the next start", dir);
    } catch (const std::exception& e) {
      error = e.what();
      spdlog::error("scan {}: compression failed, raw files kept: {}", dir, e.what());
    }
    if (!stopped) persist(dir, false);  // done or failed: not resumed (a failed scan is retried on request)
    {
      std::lock_guard lock(mu_);
      if (error.empty()) {
        jobs_.erase(dir);  // the store answers for it now
      } else {
        jobs_[dir] = Job{Job::Phase::failed, 0, error};
      }
      --busy_;
    }
    idle_cv_.notify_all();
  }
}

void Compressor::check_compressible(const std::string& dir_rel) {
  if (dir_rel.empty()) fail(Errc::invalid_argument, "the source root is not a scan; complete a scan directory inside it");
  const fsys::path dir = opts_.source / dir_rel;
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail(Errc::not_found, "{}: not a directory", dir_rel);
  if (!opts_.store_dir.empty()) {
    const fsys::path d = normal(dir), s = normal(opts_.store_dir);
    if (within(d, s) || within(s, d)) fail(Errc::invalid_argument, "{}: holds or lies in the srsfs store; not a scan", dir_rel);
  }
  if (store_.find_scan(dir_rel) || !store_.list_dir(dir_rel).empty())
    fail(Errc::invalid_argument, "{}: already compressed (re-encode with srsfs-admin retrain --recompress)", dir_rel);
  for (auto slash = dir_rel.find('/'); slash != std::string::npos; slash = dir_rel.find('/', slash + 1))
    if (store_.find_scan(dir_rel.substr(0, slash)))
      fail(Errc::invalid_argument, "{}: lies inside the compressed scan {}", dir_rel, dir_rel.substr(0, slash));
  for (const auto& s : store_.list_scans())
    if (s.path.starts_with(dir_rel + "/"))
      fail(Errc::invalid_argument, "{}: contains the compressed scan {}; complete the scans inside it instead", dir_rel,
           s.path);
}

void Compressor::compress_now(const std::string& dir_rel) { compress(dir_rel, {}); }

void Compressor::compress(const std::string& dir_rel, const std::function<void(double)>& progress) {
  check_compressible(dir_rel);
  const fsys::path dir = opts_.source / dir_rel;
  const std::string spool = fmt::format("scan-{:016x}.srs", hash_of(dir_rel));
  auto report = [&](double p) {
    if (progress) progress(p);
  };
  // 1. Encode into a spool archive.
  codec::EncodeOptions eo;
  eo.params = opts_.params;
  std::vector<std::string> left_raw;  // symlinks and special files: not part of the scan, they stay raw
  eo.left_out = &left_raw;
  bool first_file = true;
  eo.progress = [&](uint64_t done, uint64_t total) {
    report(total ? 0.7 * double(done) / double(total) : 0.0);
    if (std::exchange(first_file, false)) test_pause("encode_file");
    throw_if_stopping();
  };
#if SRSFS_WITH_TORCH
  eo.trainer = codec::make_model_trainer(int(codec::resolve_threads(opts_.params.threads)));
#endif
  // A model promoted by `srsfs-admin retrain` codes new scans instead of a per-scan one.
  const std::optional<CurrentModel> current = current_scan_model(store_);
  if (current) {
    eo.params.model = current->model.kind;
    eo.trainer = [m = current->model](const auto&, const auto&) { return m; };
  }
  struct SpoolGuard {
    const PrivateDir& dir;
    const std::string& name;
    ~SpoolGuard() {
      try {
        dir.remove(name);
      } catch (const std::exception& e) {
        spdlog::warn("cannot remove the spool archive {}: {}", (dir.path() / name).string(), e.what());
      }
    }
  } guard{*spool_dir_, spool};
  spool_dir_->remove(spool);
  codec::ScanManifest manifest;
  {
    codec::ArchiveWriter writer(spool_dir_->create_file(spool), opts_.spool / spool);
    manifest = codec::encode_scan_dir(dir, eo, writer);
    writer.finish(manifest);
  }
  test_pause("encode");
  // 2. Verify: decode every file and compare with the checksums taken from the raw bytes.
  std::optional<UniqueFd> spool_fd = spool_dir_->open_file(spool);
  if (!spool_fd) fail(Errc::io, "{}: the spool archive vanished", (opts_.spool / spool).string());
  codec::ArchiveReader reader(std::move(*spool_fd), opts_.spool / spool);
  codec::ExtractOptions xo;
  xo.threads = opts_.params.threads;
  xo.progress = [&](uint64_t, uint64_t) { throw_if_stopping(); };
  codec::extract_archive(reader, std::nullopt, xo);
  report(0.9);
  throw_if_stopping();
  // 3. Commit to the store: model, blocks and blobs (blobs follow the frame blocks), then the records.
  uint64_t model_id = current && !reader.model().params.empty() ? current->id : 0;  // reference the promoted one
  if (!current && !reader.model().params.empty())
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
  w.flush();
  test_pause("commit");
  std::vector<FileRecord> files;
  std::set<uint64_t> inos;
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
    try {
      r.xattrs = read_user_xattrs(dir / e.path);
    } catch (const Error& x) {  // too many to keep, say: this file stays raw, the rest of the scan goes on
      spdlog::warn("{}: kept raw: {}", (dir / e.path).string(), x.what());
      continue;
    }
    // The inode number users saw stays the same, unless SOURCE has reused it since another stored file's raw
    // copy was released (or this one is a hard link): then the store assigns one.
    r.ino = st.st_ino;
    if (!inos.insert(r.ino).second || store_.get_file_by_ino(r.ino)) {
      spdlog::info("{}: inode {} is taken in the store; it gets a new one", r.path, r.ino);
      r.ino = 0;
    }
    r.checksum = e.checksum;
    r.codec_entry = codec::serialize_file_entry(e);
    raw += e.size;
    files.push_back(std::move(r));
  }
  const size_t committed = files.size(), changed = manifest.files.size() - committed;
  ScanRecord scan = w.commit(std::move(files), raw);
  spdlog::info("scan {}: {} files, {:.1f} MB -> {:.1f} MB ({:.1f}%), committed{}", dir_rel, committed, raw / 1e6,
               stored / 1e6, raw ? 100.0 * double(stored) / double(raw) : 0.0,
               changed + left_raw.size()
                   ? fmt::format("; kept raw: {} changed while compressing, {} symlinks or special files", changed,
                                 left_raw.size())
                   : std::string());
  // 4. Release the raw files, now that the store holds them durably (an interrupted release is finished by
  // the next start's resume()).
  ReleaseCount n = release_scan(scan.id);
  if (n.held || n.kept)
    spdlog::info("scan {}: {} raw files released; {} held open for writing stay raw until closed, {} changed stay raw",
                 dir_rel, n.released, n.held, n.kept);
  report(1.0);
}

Compressor::ReleaseCount Compressor::release_scan(uint64_t scan_id) {
  ReleaseCount count;
  bool first = true;
  std::vector<FileRecord> files = store_.scan_files(scan_id);
  // A directory renamed through the mount meanwhile moves the records with it: files not found at the path
  // read are tried again at their new path, a bounded number of times.
  for (int pass = 0; pass < 4 && !files.empty(); ++pass) {
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
    std::vector<FileRecord> missing;
    std::string dir_rel;
    UniqueFd dir;
    bool dir_changed = false, have_dir = false;
    auto sync_dir = [&] {
      if (dir && dir_changed && ::fsync(dir.get()) != 0)
        spdlog::warn("fsync {}: {}", (opts_.source / dir_rel).string(), std::strerror(errno));
      dir_changed = false;
    };
    for (const FileRecord& r : files) {
      if (stopping_.load(std::memory_order_relaxed)) break;
      auto [d, name] = split_rel(r.path);
      if (!have_dir || d != dir_rel) {
        sync_dir();
        dir_rel = d;
        dir = open_dir_beneath(source_fd_.get(), dir_rel);
        have_dir = true;
      }
      if (!dir) {  // gone (renamed?) or replaced by a symlink
        missing.push_back(r);
        continue;
      }
      std::optional<WriteGate::Verdict> verdict;
      try {
        verdict = release_file(dir.get(), dir_rel, name, r);
      } catch (const std::exception& e) {  // this file stays raw; the others go on
        spdlog::warn("cannot release {}: {}", (opts_.source / r.path).string(), e.what());
        verdict = WriteGate::Verdict::refused;
      }
      if (!verdict) {
        missing.push_back(r);
        continue;
      }
      switch (*verdict) {
        case WriteGate::Verdict::released:
          ++count.released;
          dir_changed = true;
          if (std::exchange(first, false)) test_pause("release");
          break;
        case WriteGate::Verdict::held: ++count.held; break;
        case WriteGate::Verdict::changed:
        case WriteGate::Verdict::refused: ++count.kept; break;
      }
    }
    sync_dir();
    if (missing.empty() || stopping_.load(std::memory_order_relaxed)) break;
    // Only the records whose path changed since they were read can still have raw files to release.
    std::map<std::string, bool> was_missing;
    for (const auto& m : missing) was_missing[m.path] = true;
    std::vector<FileRecord> moved;
    for (auto& r : store_.scan_files(scan_id)) {
      bool known = false;
      for (const auto& m : missing) known |= m.ino == r.ino && m.path != r.path;
      if (known && !was_missing.count(r.path)) moved.push_back(std::move(r));
    }
    files = std::move(moved);
  }
  return count;
}

std::optional<WriteGate::Verdict> Compressor::release_file(int dir, const std::string& dir_rel,
                                                          const std::string& name, const FileRecord& r) {
  const fsys::path raw = opts_.source / r.path;
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;               // released already, or renamed
    if (errno == ELOOP) return WriteGate::Verdict::refused;  // a symlink now: not ours to release
    spdlog::warn("cannot release {}: {}", raw.string(), std::strerror(errno));
    return WriteGate::Verdict::refused;
  }
  // The raw file must be exactly what the store holds, and stay so until it is unlinked.
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || uint64_t(st.st_size) != r.size ||
      st.st_mtim.tv_sec != r.mtime.sec || st.st_mtim.tv_nsec != r.mtime.nsec)
    return WriteGate::Verdict::refused;
  const WriteGate::Key key{st.st_dev, st.st_ino};
  auto unlink = [&] {
    struct stat now {};
    if (::fstatat(dir, name.c_str(), &now, AT_SYMLINK_NOFOLLOW) != 0 || now.st_dev != st.st_dev ||
        now.st_ino != st.st_ino)
      return false;  // the name means another file now
    if (::unlinkat(dir, name.c_str(), 0) == 0) return true;
    spdlog::warn("cannot release {}: {}", raw.string(), std::strerror(errno));
    return false;
  };
  WriteGate::Verdict verdict = WriteGate::Verdict::changed;
  for (int attempt = 0; attempt < 3 && verdict == WriteGate::Verdict::changed; ++attempt) {
    WriteGate::Ticket ticket = opts_.gate ? opts_.gate->begin_check(key) : WriteGate::Ticket{};
    bool same = false;
    try {
      struct stat before {}, after {};
      same = ::fstat(fd.get(), &before) == 0 && uint64_t(before.st_size) == r.size &&
             checksum64(read_fd_whole(fd.get(), r.size, raw)) == r.checksum && ::fstat(fd.get(), &after) == 0 &&
             same_times(before.st_ctim, after.st_ctim) && same_times(after.st_mtim, st.st_mtim) &&
             read_user_xattrs(fd.get(), raw) == r.xattrs;  // an attribute set since the commit would be lost
    } catch (...) {
      if (opts_.gate) opts_.gate->end_check(ticket);
      throw;
    }
    if (!same) {
      if (opts_.gate) opts_.gate->end_check(ticket);
      return WriteGate::Verdict::refused;
    }
    verdict = opts_.gate ? opts_.gate->release_if_quiet(ticket, unlink)
                         : (unlink() ? WriteGate::Verdict::released : WriteGate::Verdict::refused);
  }
  if (verdict == WriteGate::Verdict::released) {
    if (opts_.released) opts_.released(dir_rel, name);
  } else if (verdict == WriteGate::Verdict::held) {
    std::lock_guard lock(mu_);
    held_[key] = r.scan_id;
    spdlog::info("{}: open for writing; it stays raw until closed", raw.string());
  }
  return verdict;
}

void Compressor::resume() {
  for (const auto& scan : store_.list_scans()) {
    try {
      release_scan(scan.id);
    } catch (const std::exception& e) {
      spdlog::error("scan {}: cannot finish releasing raw files: {}", scan.path, e.what());
    }
  }
  std::error_code ec;
  if (queue_dir_) {
    for (const auto& name : queue_dir_->list()) {
      try {
        if (name.starts_with(".")) {  // a temporary of an atomic write cut short by a crash
          queue_dir_->remove(name);
          continue;
        }
        std::optional<Bytes> b = queue_dir_->read_file(name);
        if (!b) continue;
        std::string rel(b->begin(), b->end());
        if (rel.empty() || store_.find_scan(rel)) {
          queue_dir_->remove(name);
        } else {
          spdlog::info("scan {}: queued before the daemon stopped", rel);
          scan_complete(rel);
        }
      } catch (const std::exception& x) {
        spdlog::warn("persisted queue entry {}: {}", (opts_.queue_dir / name).string(), x.what());
      }
    }
  }
  if (opts_.complete_marker.empty()) return;
  const fsys::path skip = opts_.store_dir.empty() ? opts_.spool.parent_path() : opts_.store_dir;
  for (auto it = fsys::recursive_directory_iterator(opts_.source, fsys::directory_options::skip_permission_denied, ec);
       !ec && it != fsys::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->path().filename() == opts_.complete_marker && it->is_regular_file(ec)) {
      std::string rel = fsys::relative(it->path().parent_path(), opts_.source).generic_string();
      if (rel == ".") continue;  // the root is never a scan
      if (!store_.find_scan(rel)) scan_complete(rel);
    }
  }
}

void Compressor::test_pause(const char* point) {
  if (pause_at_ != point) return;
  spdlog::warn("SRSFS_TEST_PAUSE_AT={}: pausing the compressor", point);
  if (const char* f = std::getenv("SRSFS_TEST_PAUSE_FILE")) write_file_atomic(f, ByteSpan(), 0644, false);
  const char* s = std::getenv("SRSFS_TEST_PAUSE_S");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(s ? std::atoi(s) : 120);
  while (std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace srsfs::fs
