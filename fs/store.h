// The compressed-scan store: scan, file and model records in LMDB, block bytes behind a BlobStore.
//
// Commit protocol. Store::begin_scan reserves a scan id and records it as pending; the ScanWriter puts blocks
// in batches, each its own write transaction. commit() writes the scan record, every file record and the
// model's refcount in ONE write transaction, made durable before it returns, and clears the pending mark. A
// crash before that leaves blocks of a pending id with no record; Store::open removes them. Records that go
// away (replaced scan, last file deleted) name their scan in a `gc/` mark in the same transaction; its blocks
// are erased right after, or by the next open if the process dies first. A scan is thus entirely present or
// absent to readers at every instant.
//
// Threads: any number of readers, one writer at a time (serialised inside). Every call opens and closes its own
// transaction. Only one process may open a store read-write (an flock on DIR/store.lock); read-only opens
// (srsfs-admin) may run beside it in other processes; LMDB forbids opening one environment twice in a
// process. The store must be on a local filesystem, never NFS or Lustre (LMDB's locking and mmap coherence do
// not hold there).
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/bytes.h"
#include "fs/blob_store.h"
#include "fs/lmdb_env.h"
#include "fs/store_records.h"

namespace srsfs::fs {

inline constexpr uint32_t kStoreSchemaVersion = 1;

struct StoreOptions {
  uint64_t initial_map_bytes = uint64_t(64) << 20;  // grown ×2 on demand
  uint64_t max_map_bytes = uint64_t(1) << 40;
  size_t write_batch_bytes = size_t(32) << 20;  // ScanWriter flushes blocks in transactions of about this size
  bool read_only = false;                        // no lock, no cleanup, every write refused
  // A second writer beside the mount daemon that owns the store (srsfs-admin retrain on a live mount): no
  // lock and no start-up cleanup, which belong to the daemon; LMDB serialises the two processes' writes.
  bool beside_daemon = false;
  // A read-write open that finds store.lock held (a daemon still stopping) retries every 100 ms for up to this
  // long before failing; 0: fail at once.
  std::chrono::milliseconds lock_wait{0};
};

class Store;

// Writes one scan: blocks first (batched transactions), then everything else in one commit. Destroyed without
// a commit, it removes its blocks. put_block may be called from several threads at once. Must not outlive
// the Store that made it.
class ScanWriter {
 public:
  ScanWriter(ScanWriter&&) noexcept;
  ScanWriter& operator=(ScanWriter&&) = delete;
  ~ScanWriter();

  uint64_t scan_id() const;
  const std::string& path() const;
  // Blocks must be numbered 0..N-1 (any order); stored with a checksum verified on every read.
  void put_block(uint32_t index, ByteSpan bytes);
  void flush();  // writes buffered blocks now
  // Makes the scan visible: its record (state compressed), `files` (scan_id set; ino assigned where 0) and the
  // model reference, atomically and durably. Returns the committed record.
  ScanRecord commit(std::vector<FileRecord> files, uint64_t raw_bytes);
  // As commit(), and in the same transaction removes scan `old_scan_id` and its files (a re-encode). Files
  // with the same path keep their inode numbers.
  ScanRecord commit_replacing(uint64_t old_scan_id, std::vector<FileRecord> files, uint64_t raw_bytes);
  // Drops everything written so far (what the destructor does when not committed).
  void abort() noexcept;

  struct State;  // opaque (fs/store_writer_state.h)

 private:
  friend class Store;
  explicit ScanWriter(std::unique_ptr<State> s);
  ScanRecord finish(std::optional<uint64_t> replacing, std::vector<FileRecord> files, uint64_t raw_bytes);
  std::unique_ptr<State> s_;
};

// Keeps a scan's blocks in the store while it lives, even when the scan's last file is deleted or the scan is
// replaced meanwhile: an open file must go on reading its bytes. Its erasure waits for the last pin (or, after
// a crash, the next open's cleanup). Move-only; must not outlive its Store.
class ScanPin {
 public:
  ScanPin() = default;
  ScanPin(ScanPin&& o) noexcept : store_(std::exchange(o.store_, nullptr)), id_(o.id_) {}
  ScanPin& operator=(ScanPin&& o) noexcept;
  ~ScanPin();

 private:
  friend class Store;
  ScanPin(Store* s, uint64_t id) : store_(s), id_(id) {}
  Store* store_ = nullptr;
  uint64_t id_ = 0;
};

class Store {
  struct OpenKey {  // only open() constructs a Store
    explicit OpenKey() = default;
  };

 public:
  // Opens (read-write: creates) the store in `dir`; removes garbage of crashed writers. Errc::unsupported for
  // a newer schema, Errc::io when another process still holds it open for writing after opts.lock_wait.
  // Read-write (the owner): creates `dir` with mode 0700 when absent, refuses a directory that is not ours or
  // that others can write (check_store_dir_safe), and makes store.lock and the LMDB files 0600.
  static std::unique_ptr<Store> open(const std::filesystem::path& dir, const StoreOptions& opts = {});
  Store(OpenKey, const std::filesystem::path& dir, const StoreOptions& opts);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& dir() const { return env_->dir(); }
  bool read_only() const { return opts_.read_only; }
  uint64_t map_bytes() const { return env_->map_bytes(); }

  // Scans.
  ScanWriter begin_scan(std::string_view path, uint64_t model_id, Bytes codec_header);
  std::optional<ScanRecord> get_scan(uint64_t id) const;
  std::optional<ScanRecord> find_scan(std::string_view path) const;
  std::vector<ScanRecord> list_scans() const;
  void set_state(uint64_t scan_id, ScanState state);
  // Checksum-verified block bytes: Errc::not_found, Errc::corrupt.
  Bytes get_block(uint64_t scan_id, uint32_t index) const;
  // As get_block without the copy; `fn` runs inside a read transaction: keep it short.
  void visit_block(uint64_t scan_id, uint32_t index, const std::function<void(ByteSpan)>& fn) const;

  // Files.
  std::optional<FileRecord> get_file(std::string_view path) const;
  std::optional<FileRecord> get_file_by_ino(uint64_t ino) const;
  // Files directly inside `dir` ("" is the root), sorted by name: one cursor range.
  std::vector<FileRecord> list_dir(std::string_view dir) const;
  // Every file that decodes from scan `scan_id`, wherever it was renamed to (a re-encode must carry them all).
  std::vector<FileRecord> scan_files(uint64_t scan_id) const;
  // Errc::not_found if absent. The scan (record and blocks) goes when its last file goes.
  void delete_file(std::string_view path);
  // POSIX rename: an existing `to` is replaced. Errc::not_found if `from` is absent.
  void rename_file(std::string_view from, std::string_view to);

  // Models are immutable once stored; ids are assigned by the store.
  uint64_t put_model(ByteSpan params, std::string_view provenance_json);
  std::optional<ModelRecord> get_model(uint64_t id) const;
  std::vector<ModelRecord> list_models() const;
  // Errc::invalid_argument while any committed scan uses it or it is the current model, Errc::not_found if
  // absent.
  void delete_model(uint64_t id);
  // The model new scans are coded with, promoted by `srsfs-admin retrain` (none: the compressor's default).
  // One meta key: promotion is one short write transaction, and readers never wait for it.
  std::optional<uint64_t> current_model() const;
  // Errc::not_found if the model does not exist; 0 clears (back to the default).
  void set_current_model(uint64_t id);

  // Full consistency check: records decode, indexes agree, refcounts match, every block of every scan present
  // with a good checksum, no blocks without a scan. Reads everything; the store stays usable meanwhile.
  CheckReport check() const;

  BlobStore& blobs() { return *blobs_; }

  // See ScanPin. In this process only (srsfs-admin retrain beside a daemon does not see the daemon's pins).
  ScanPin pin_scan(uint64_t scan_id);

 private:
  friend class ScanWriter;
  friend class ScanPin;
  void unpin(uint64_t scan_id) noexcept;
  void require_writable(const char* op) const;
  void collect_garbage_at_open();
  // Erases the blocks of scans whose records are gone and clears their gc marks; failures are logged and left
  // for the next open.
  void collect(const std::vector<uint64_t>& scans) noexcept;
  // Inside a write txn: removes the file at `key` and its index entries; appends its scan to `orphaned` if that
  // was the scan's last file (and removes the scan record).
  void remove_file_locked(lmdb::Txn& txn, const std::string& path, std::vector<uint64_t>& orphaned);
  void drop_scan_locked(lmdb::Txn& txn, const ScanRecord& scan, std::vector<uint64_t>& orphaned);
  uint64_t next_counter(lmdb::Txn& txn, std::string_view key);

  StoreOptions opts_;
  struct LockFile {  // flock held by a read-write store, released after the environment closes
    int fd = -1;
    LockFile() = default;
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;
    ~LockFile();
  } lock_;
  std::unique_ptr<lmdb::Env> env_;
  lmdb::Dbi meta_, scans_, scan_paths_, files_, scan_files_, inodes_, models_;
  std::unique_ptr<BlobStore> blobs_;
  std::mutex pin_mu_;                    // guards the two below; never held across a store call
  std::map<uint64_t, unsigned> pins_;    // scan -> open files that read it
  std::set<uint64_t> collect_later_;     // pinned scans whose blocks became garbage
};

}  // namespace srsfs::fs
