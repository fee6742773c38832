#include "fs/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "codec/file_io.h"
#include "fs/blob_lmdb.h"
#include "fs/private_dir.h"
#include "fs/store_keys.h"
#include "fs/store_writer_state.h"

namespace srsfs::fs {

namespace {

uint64_t read_u64(ByteSpan v, const char* what) {
  ByteReader r(v, what);
  uint64_t x = r.u64();
  r.expect_done();
  return x;
}
Bytes u64_bytes(uint64_t v) {
  Bytes b;
  ByteWriter(b).u64(v);
  return b;
}
std::string id_key(uint64_t id) { return keys::be64(id); }
constexpr std::string_view kCurrentModelKey = "current_model";  // meta: u64 model id (ByteWriter)

// Creates a missing store directory: mode exactly 0700 (the daemon runs with umask(0), and a narrower umask
// must not leave it unusable either), missing parents 0755 (never more: umask(0) would make them 0777).
void create_store_dir(const std::filesystem::path& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) return;  // what exists is judged by check_store_dir_safe
  if (errno != ENOENT) throw_errno(fmt::format("cannot examine the store directory {}", dir.string()), errno);
  std::filesystem::path partial;
  const std::filesystem::path parent = dir.parent_path();
  for (const auto& part : parent) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      throw_errno(fmt::format("cannot create {} (for the store {})", partial.string(), dir.string()), errno);
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw_errno(fmt::format("cannot create the store directory {}", dir.string()), errno);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_errno(fmt::format("cannot open the store directory {}", dir.string()), errno);
  if (::fchmod(fd.get(), 0700) != 0) throw_errno(fmt::format("cannot chmod 700 {}", dir.string()), errno);
}

// Opens (creating) one of the store's own files relative to the store's descriptor, never through a symlink,
// and makes it exactly 0600: store.lock, and data.mdb / lock.mdb before LMDB opens them by path.
UniqueFd open_store_file(int dir_fd, const std::filesystem::path& dir, const char* name) {
  const std::string where = (dir / name).string();
  int fd = ::openat(dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) {
    if (errno == ELOOP) fail(Errc::invalid_argument, "{} is a symbolic link: refusing to follow it (remove it)", where);
    throw_errno(fmt::format("cannot open {}", where), errno);
  }
  UniqueFd out(fd);
  struct stat st {};
  if (::fstat(out.get(), &st) != 0) throw_errno(fmt::format("cannot stat {}", where), errno);
  if (!S_ISREG(st.st_mode)) fail(Errc::invalid_argument, "{} is not a regular file (remove it)", where);
  if (st.st_uid != ::geteuid())
    fail(Errc::invalid_argument, "{} belongs to uid {}, not to the daemon's uid {} (chown {} {})", where, st.st_uid,
         ::geteuid(), ::geteuid(), where);
  if ((st.st_mode & 07777) != 0600 && ::fchmod(out.get(), 0600) != 0)
    throw_errno(fmt::format("cannot chmod 600 {}", where), errno);
  return out;
}

// "pid 1234, mount.srsfs" from the pid the holder wrote into store.lock, or "" when it is unknown.
std::string lock_holder(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  long pid = 0;
  auto [end, ec] = std::from_chars(buf, buf + n, pid);
  if (ec != std::errc() || pid <= 0) return "";
  std::string comm;
  std::ifstream in(fmt::format("/proc/{}/comm", pid));
  if (in && std::getline(in, comm) && !comm.empty()) return fmt::format("pid {}, {}", pid, comm);
  return fmt::format("pid {}", pid);
}

// Takes the store's write lock, retrying every 100 ms for up to `wait` (a daemon that is still stopping
// releases it when it exits), then records our pid in the file for the next one's message.
void take_store_lock(int fd, const std::filesystem::path& dir, std::chrono::milliseconds wait) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto deadline = start + wait;
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) break;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK) throw_errno(fmt::format("cannot lock {}", (dir / "store.lock").string()), errno);
    const auto now = clock::now();
    if (now >= deadline) {
      const std::string who = lock_holder(fd);
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count();
      const std::string held = fmt::format("the store in {} is already open for writing by another process{}",
                                           dir.string(), who.empty() ? "" : fmt::format(" ({})", who));
      if (wait.count() == 0) fail(Errc::io, "{}", held);
      fail(Errc::io, "{}; waited {} ms for it to close: stop that mount first", held, waited);
    }
    std::this_thread::sleep_for(std::min<clock::duration>(std::chrono::milliseconds(100), deadline - now));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) == 0) {
    ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);  // for messages only: a failure costs nothing else
    (void)n;
  }
}

}  // namespace

Store::LockFile::~LockFile() {
  if (fd >= 0) ::close(fd);  // closing releases the flock
}

Store::Store(OpenKey, const std::filesystem::path& dir, const StoreOptions& opts) : opts_(opts) {
  std::error_code ec;
  if (opts.read_only) {
    if (!std::filesystem::exists(dir / "data.mdb", ec))
      fail(Errc::not_found, "no srsfs store in {} (no data.mdb)", dir.string());
  } else if (opts.beside_daemon) {
    if (!std::filesystem::exists(dir / "data.mdb", ec))
      fail(Errc::not_found, "no srsfs store in {} (no data.mdb)", dir.string());
  } else {
    // The owner: the root daemon. Nothing it creates here may be reachable by anyone else (issue 11).
    create_store_dir(dir);
    check_store_dir_safe(dir);
    UniqueFd dir_fd(::open(std::filesystem::canonical(dir).c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir_fd) throw_errno(fmt::format("cannot open the store directory {}", dir.string()), errno);
    lock_.fd = open_store_file(dir_fd.get(), dir, "store.lock").release();
    take_store_lock(lock_.fd, dir, opts.lock_wait);
    // LMDB opens these by path with the mode we give it narrowed by the umask; make them ours and 0600 first
    // (an empty data.mdb is a new environment to LMDB).
    open_store_file(dir_fd.get(), dir, "data.mdb");
    open_store_file(dir_fd.get(), dir, "lock.mdb");
  }
  lmdb::EnvOptions eo;
  eo.map_bytes = opts.initial_map_bytes;
  eo.max_map_bytes = opts.max_map_bytes;
  eo.read_only = opts.read_only;
  env_ = std::make_unique<lmdb::Env>(dir, eo);

  // Open every database in one transaction so the handles are shared once it commits.
  lmdb::Dbi blocks;
  auto open_all = [&](lmdb::Txn& txn) {
    meta_ = env_->open_dbi(txn, "meta");
    scans_ = env_->open_dbi(txn, "scans");
    scan_paths_ = env_->open_dbi(txn, "scan_paths");
    files_ = env_->open_dbi(txn, "files");
    scan_files_ = env_->open_dbi(txn, "scan_files");
    inodes_ = env_->open_dbi(txn, "inodes");
    models_ = env_->open_dbi(txn, "models");
    blocks = env_->open_dbi(txn, "blocks");
    std::optional<ByteSpan> v = txn.get(meta_, keys::schema);
    uint32_t version = 0;
    if (v) {
      ByteReader r(*v, "schema version");
      version = r.u32();
    } else if (txn.read_only()) {
      fail(Errc::corrupt, "{} is not an srsfs store: it has no schema version", dir.string());
    } else {
      Bytes b;
      ByteWriter(b).u32(kStoreSchemaVersion);
      txn.put(meta_, keys::schema, b);
      version = kStoreSchemaVersion;
    }
    if (version > kStoreSchemaVersion)
      fail(Errc::unsupported,
           "the store in {} has schema version {}, newer than this srsfs understands ({}): upgrade srsfs",
           dir.string(), version, kStoreSchemaVersion);
    if (version < kStoreSchemaVersion)
      fail(Errc::unsupported, "the store in {} has schema version {}, which this srsfs cannot read", dir.string(),
           version);
    txn.commit();  // also for a read txn: keeps the database handles open
  };
  if (opts.read_only) {
    lmdb::Txn txn(env_->get(), true);
    open_all(txn);
  } else {
    lmdb::Txn txn(env_->get(), false);  // single-threaded here: no need for Env::write's retry
    open_all(txn);
  }
  blobs_ = std::make_unique<LmdbBlobStore>(*env_, std::move(blocks));
}

std::unique_ptr<Store> Store::open(const std::filesystem::path& dir, const StoreOptions& opts) {
  auto s = std::make_unique<Store>(OpenKey{}, dir, opts);
  // The owner only: garbage of a crashed writer may be a live daemon's scan in progress to anyone else.
  if (!opts.read_only && !opts.beside_daemon) s->collect_garbage_at_open();
  return s;
}

Store::~Store() = default;

void Store::require_writable(const char* op) const {
  if (opts_.read_only) fail(Errc::invalid_argument, "cannot {}: the store in {} is open read-only", op, dir().string());
}

uint64_t Store::next_counter(lmdb::Txn& txn, std::string_view key) {
  std::optional<ByteSpan> v = txn.get(meta_, key);
  uint64_t next = v ? read_u64(*v, "store counter") : 1;
  txn.put(meta_, key, u64_bytes(next + 1));
  return next;
}

void Store::collect_garbage_at_open() {
  // We hold the write lock, so every pending scan belongs to a writer that died.
  std::vector<uint64_t> garbage = env_->read([&](lmdb::Txn& txn) {
    std::vector<uint64_t> ids;
    lmdb::Cursor c(txn, meta_);
    for (std::string_view prefix : {"pending/", "gc/"}) {
      for (bool ok = c.seek(prefix); ok && c.key_str().starts_with(prefix); ok = c.next())
        ids.push_back(keys::read_be64(c.key().subspan(prefix.size())));
    }
    return ids;
  });
  // Blocks with no record and no mark (e.g. written by a tool that bypassed the protocol).
  for (uint64_t id : blobs_->scans()) {
    bool known = env_->read([&](lmdb::Txn& txn) { return txn.get(scans_, id_key(id)).has_value(); });
    if (!known && std::find(garbage.begin(), garbage.end(), id) == garbage.end()) garbage.push_back(id);
  }
  if (!garbage.empty()) spdlog::info("store {}: removing blocks of {} unfinished or deleted scans", dir().string(), garbage.size());
  collect(garbage);
}

ScanPin& ScanPin::operator=(ScanPin&& o) noexcept {
  if (this != &o) {
    if (store_) store_->unpin(id_);
    store_ = std::exchange(o.store_, nullptr);
    id_ = o.id_;
  }
  return *this;
}

ScanPin::~ScanPin() {
  if (store_) store_->unpin(id_);
}

ScanPin Store::pin_scan(uint64_t scan_id) {
  std::lock_guard lock(pin_mu_);
  ++pins_[scan_id];
  return ScanPin(this, scan_id);
}

void Store::unpin(uint64_t scan_id) noexcept {
  {
    std::lock_guard lock(pin_mu_);
    auto it = pins_.find(scan_id);
    if (it == pins_.end() || --it->second > 0) return;
    pins_.erase(it);
    if (!collect_later_.erase(scan_id)) return;
  }
  collect({scan_id});
}

void Store::collect(const std::vector<uint64_t>& scans) noexcept {
  for (uint64_t id : scans) {
    {
      std::lock_guard lock(pin_mu_);
      if (pins_.count(id)) {  // an open file still reads it: its doomed mark stays until the last pin goes
        collect_later_.insert(id);
        continue;
      }
    }
    try {
      blobs_->erase_scan(id);
      env_->write([&](lmdb::Txn& txn) {
        txn.del(meta_, keys::pending(id));
        txn.del(meta_, keys::doomed(id));
      });
    } catch (const std::exception& e) {
      spdlog::warn("store {}: could not remove the blocks of scan {} ({}); the next open retries", dir().string(), id,
                   e.what());
    }
  }
}

ScanWriter Store::begin_scan(std::string_view path, uint64_t model_id, Bytes codec_header) {
  require_writable("begin a scan");
  std::string p = keys::normalize_path(path, "scan directory");
  if (model_id != 0 && !get_model(model_id))
    fail(Errc::not_found, "cannot store scan {}: model {} does not exist", p, model_id);
  uint64_t id = env_->write([&](lmdb::Txn& txn) {
    uint64_t id = next_counter(txn, keys::next_scan);
    txn.put(meta_, keys::pending(id), ByteSpan{});
    return id;
  });
  auto s = std::make_unique<ScanWriter::State>();
  s->store = this;
  s->id = id;
  s->path = std::move(p);
  s->model_id = model_id;
  s->header = std::move(codec_header);
  return ScanWriter(std::move(s));
}

std::optional<ScanRecord> Store::get_scan(uint64_t id) const {
  return env_->read([&](lmdb::Txn& txn) -> std::optional<ScanRecord> {
    auto v = txn.get(scans_, id_key(id));
    if (!v) return std::nullopt;
    return decode_scan(*v);
  });
}

std::optional<ScanRecord> Store::find_scan(std::string_view path) const {
  std::string p = keys::normalize_path(path, "scan directory");
  return env_->read([&](lmdb::Txn& txn) -> std::optional<ScanRecord> {
    auto id = txn.get(scan_paths_, p);
    if (!id) return std::nullopt;
    auto v = txn.get(scans_, *id);
    if (!v) fail(Errc::corrupt, "the store's path index names scan {} for {}, which does not exist", keys::read_be64(*id), p);
    return decode_scan(*v);
  });
}

std::vector<ScanRecord> Store::list_scans() const {
  return env_->read([&](lmdb::Txn& txn) {
    std::vector<ScanRecord> out;
    lmdb::Cursor c(txn, scans_);
    for (bool ok = c.first(); ok; ok = c.next()) out.push_back(decode_scan(c.value()));
    return out;
  });
}

void Store::set_state(uint64_t scan_id, ScanState state) {
  require_writable("change a scan's state");
  env_->write([&](lmdb::Txn& txn) {
    auto v = txn.get(scans_, id_key(scan_id));
    if (!v) fail(Errc::not_found, "scan {} does not exist", scan_id);
    ScanRecord r = decode_scan(*v);
    r.state = state;
    txn.put(scans_, id_key(scan_id), encode(r));
  });
}

Bytes Store::get_block(uint64_t scan_id, uint32_t index) const { return blobs_->get(scan_id, index); }

void Store::visit_block(uint64_t scan_id, uint32_t index, const std::function<void(ByteSpan)>& fn) const {
  blobs_->visit(scan_id, index, fn);
}

std::optional<FileRecord> Store::get_file(std::string_view path) const {
  std::string p = keys::normalize_path(path, "file");
  return env_->read([&](lmdb::Txn& txn) -> std::optional<FileRecord> {
    auto v = txn.get(files_, keys::file_key(p));
    if (!v) return std::nullopt;
    return decode_file(p, *v);
  });
}

std::optional<FileRecord> Store::get_file_by_ino(uint64_t ino) const {
  return env_->read([&](lmdb::Txn& txn) -> std::optional<FileRecord> {
    auto p = txn.get(inodes_, id_key(ino));
    if (!p) return std::nullopt;
    std::string path(reinterpret_cast<const char*>(p->data()), p->size());
    auto v = txn.get(files_, keys::file_key(path));
    if (!v) fail(Errc::corrupt, "the store's inode index names {} for inode {}, which does not exist", path, ino);
    return decode_file(path, *v);
  });
}

std::vector<FileRecord> Store::list_dir(std::string_view dir) const {
  std::string d = keys::normalize_path(dir, "directory", true);
  const std::string prefix = keys::dir_prefix(d);
  return env_->read([&](lmdb::Txn& txn) {
    std::vector<FileRecord> out;
    lmdb::Cursor c(txn, files_);
    for (bool ok = c.seek(prefix); ok && c.key_str().starts_with(prefix); ok = c.next())
      out.push_back(decode_file(keys::path_of_file_key(c.key_str()), c.value()));
    return out;
  });
}

std::vector<FileRecord> Store::scan_files(uint64_t scan_id) const {
  const std::string prefix = keys::be64(scan_id);
  return env_->read([&](lmdb::Txn& txn) {
    std::vector<FileRecord> out;
    lmdb::Cursor c(txn, scan_files_);
    for (bool ok = c.seek(prefix); ok && c.key_str().starts_with(prefix); ok = c.next()) {
      std::string path(c.key_str().substr(prefix.size()));
      auto v = txn.get(files_, keys::file_key(path));
      if (!v) fail(Errc::corrupt, "scan {} lists file {}, which has no record", scan_id, path);
      out.push_back(decode_file(std::move(path), *v));
    }
    return out;
  });
}

void Store::drop_scan_locked(lmdb::Txn& txn, const ScanRecord& scan, std::vector<uint64_t>& orphaned) {
  txn.del(scans_, id_key(scan.id));
  auto owner = txn.get(scan_paths_, scan.path);
  if (owner && keys::read_be64(*owner) == scan.id) txn.del(scan_paths_, scan.path);
  if (scan.model_id != 0) {
    auto mv = txn.get(models_, id_key(scan.model_id));
    if (mv) {
      ModelRecord m = decode_model(*mv);
      if (m.refcount > 0) --m.refcount;
      txn.put(models_, id_key(m.id), encode(m));
    }
  }
  txn.put(meta_, keys::doomed(scan.id), ByteSpan{});
  orphaned.push_back(scan.id);
}

void Store::remove_file_locked(lmdb::Txn& txn, const std::string& path, std::vector<uint64_t>& orphaned) {
  const std::string key = keys::file_key(path);
  auto v = txn.get(files_, key);
  if (!v) fail(Errc::not_found, "{} is not a compressed file in the store", path);
  FileRecord f = decode_file(path, *v);
  txn.del(files_, key);
  txn.del(scan_files_, keys::scan_file(f.scan_id, path));
  txn.del(inodes_, id_key(f.ino));
  // Was that the scan's last file?
  const std::string prefix = keys::be64(f.scan_id);
  lmdb::Cursor c(txn, scan_files_);
  if (c.seek(prefix) && c.key_str().starts_with(prefix)) return;
  auto sv = txn.get(scans_, id_key(f.scan_id));
  if (sv) drop_scan_locked(txn, decode_scan(*sv), orphaned);
}

void Store::delete_file(std::string_view path) {
  require_writable("delete a file");
  std::string p = keys::normalize_path(path, "file");
  std::vector<uint64_t> orphaned;
  env_->write([&](lmdb::Txn& txn) {
    orphaned.clear();  // the write may run again after the map grows
    remove_file_locked(txn, p, orphaned);
  });
  collect(orphaned);
}

void Store::rename_file(std::string_view from, std::string_view to) {
  require_writable("rename a file");
  std::string a = keys::normalize_path(from, "rename source"), b = keys::normalize_path(to, "rename target");
  if (a == b) {
    if (!get_file(a)) fail(Errc::not_found, "{} is not a compressed file in the store", a);
    return;
  }
  std::vector<uint64_t> orphaned;
  env_->write([&](lmdb::Txn& txn) {
    orphaned.clear();
    auto v = txn.get(files_, keys::file_key(a));
    if (!v) fail(Errc::not_found, "{} is not a compressed file in the store", a);
    FileRecord f = decode_file(a, *v);
    if (txn.get(files_, keys::file_key(b))) remove_file_locked(txn, b, orphaned);  // POSIX: the target is replaced
    txn.del(files_, keys::file_key(a));
    txn.del(scan_files_, keys::scan_file(f.scan_id, a));
    f.path = b;
    txn.put(files_, keys::file_key(b), encode(f));
    txn.put(scan_files_, keys::scan_file(f.scan_id, b), ByteSpan{});
    txn.put(inodes_, id_key(f.ino), lmdb::bytes_of(b));
  });
  collect(orphaned);
}

uint64_t Store::put_model(ByteSpan params, std::string_view provenance_json) {
  require_writable("store a model");
  return env_->write([&](lmdb::Txn& txn) {
    ModelRecord m;
    m.id = next_counter(txn, keys::next_model);
    m.params.assign(params.begin(), params.end());
    m.provenance_json = std::string(provenance_json);
    m.created_at = int64_t(std::time(nullptr));
    txn.put(models_, id_key(m.id), encode(m));
    return m.id;
  });
}

std::optional<ModelRecord> Store::get_model(uint64_t id) const {
  return env_->read([&](lmdb::Txn& txn) -> std::optional<ModelRecord> {
    auto v = txn.get(models_, id_key(id));
    if (!v) return std::nullopt;
    return decode_model(*v);
  });
}

std::vector<ModelRecord> Store::list_models() const {
  return env_->read([&](lmdb::Txn& txn) {
    std::vector<ModelRecord> out;
    lmdb::Cursor c(txn, models_);
    for (bool ok = c.first(); ok; ok = c.next()) out.push_back(decode_model(c.value()));
    return out;
  });
}

void Store::delete_model(uint64_t id) {
  require_writable("delete a model");
  env_->write([&](lmdb::Txn& txn) {
    auto v = txn.get(models_, id_key(id));
    if (!v) fail(Errc::not_found, "model {} does not exist", id);
    ModelRecord m = decode_model(*v);
    if (m.refcount > 0)
      fail(Errc::invalid_argument, "model {} cannot be deleted: {} stored scans decode with it", id, m.refcount);
    if (auto cur = txn.get(meta_, kCurrentModelKey); cur && read_u64(*cur, "current model") == id)
      fail(Errc::invalid_argument, "model {} cannot be deleted: it is the current model for new scans", id);
    txn.del(models_, id_key(id));
  });
}

std::optional<uint64_t> Store::current_model() const {
  return env_->read([&](lmdb::Txn& txn) -> std::optional<uint64_t> {
    auto v = txn.get(meta_, kCurrentModelKey);
    if (!v) return std::nullopt;
    return read_u64(*v, "current model");
  });
}

void Store::set_current_model(uint64_t id) {
  require_writable("set the current model");
  env_->write([&](lmdb::Txn& txn) {
    if (id == 0) {
      txn.del(meta_, kCurrentModelKey);
      return;
    }
    if (!txn.get(models_, id_key(id))) fail(Errc::not_found, "cannot make model {} current: it does not exist", id);
    txn.put(meta_, kCurrentModelKey, u64_bytes(id));
  });
}

}  // namespace srsfs::fs
