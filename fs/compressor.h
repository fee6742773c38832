// The background compressor: scans reported complete are queued; a worker encodes each into a spool archive,
// verifies it by decoding every file against the raw bytes' checksums, commits it to the store in one
// transaction and only then removes the raw frames from SOURCE. A crash at any step loses nothing: before the
// commit the raw files are untouched (the store drops the pending blocks at open); after it, resume() finishes
// the release of files whose raw copy still matches the stored checksum.
//
// The queue survives a restart: each queued scan has a small file in queue_dir (removed when the scan is done
// or has failed), and resume() queues them again, whatever reported them complete.
//
// Never compressed: the SOURCE root, the store directory or anything containing it, a directory inside a
// compressed scan or one containing a compressed scan (their file records would overlap).
//
// Release rules: a raw file is released (unlinked) only when it still has the size, mtime and checksum of its
// stored copy, nobody holds it open for writing and nobody changed it through the mount since its bytes were
// checked (WriteGate). A file held open stays raw; when its last writer closes, its scan's release is run
// again. Releases follow the store's index of the scan's files (scan_files), so a scan renamed meanwhile is
// still released, and every path is resolved below SOURCE without following a symlink.
//
// Stopping: the destructor (unmount, SIGTERM) interrupts the scan in progress at the next file boundary of
// encoding or verifying, and a release between two files; nothing half-done is kept, the scan stays in the
// persisted queue, and the next start resumes it.
//
// Test hook: with SRSFS_TEST_PAUSE_AT=encode_file|encode|commit|release in the environment, the worker stops
// at that point (encode_file: the first file encoded; encode: spool archive written, nothing in the store;
// commit: blocks stored, scan not committed; release: committed and the first raw file removed), creates the
// file named by SRSFS_TEST_PAUSE_FILE (if set) and sleeps up to SRSFS_TEST_PAUSE_S seconds (default 120) so
// that a test can kill -9 the daemon, or stop it, right there.
#pragma once
#include <atomic>
#include <condition_variable>
#include <exception>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "codec/file_io.h"
#include "codec/scan_codec.h"
#include "fs/compressed_view.h"
#include "fs/private_dir.h"
#include "fs/store.h"
#include "fs/write_gate.h"

namespace srsfs::fs {

struct CompressorOptions {
  std::filesystem::path source;            // SOURCE root
  std::filesystem::path spool;             // scratch space for archives being verified (inside the store dir)
  std::filesystem::path queue_dir;         // persisted queue; empty: the queue is not persisted
  std::filesystem::path store_dir;         // never compressed; empty: not checked
  std::string complete_marker = ".complete";
  unsigned workers = 1;
  codec::CodecParams params;               // model, threads per scan
  // Called after each raw file is released (removed from SOURCE): the kernel's cached entry must go.
  std::function<void(const std::string& dir_rel, const std::string& name)> released;
  // Shared with the FUSE side, which registers every writer of a raw file there; null: no writer to respect
  // (srsfs-admin and tests without a mount).
  WriteGate* gate = nullptr;
};

// What the compressor is doing, for user.srsfs.status.
struct CompressorStatus {
  struct Job {
    std::string dir;
    std::string state;  // queued, compressing, failed
    double progress = 0;  // 0..1 while compressing
    std::string error;    // when failed
  };
  std::vector<Job> jobs;
  size_t queue_length = 0;
  unsigned busy = 0;
};

class Compressor final : public ScanSink {
 public:
  Compressor(Store& store, CompressorOptions opts);
  ~Compressor() override;  // interrupts the scan in progress (see Stopping); the queue stays persisted

  void scan_complete(const std::string& dir_rel) override;
  // "queued", "compressing 40%", "compressed", "failed: why", or "raw".
  std::string scan_state(const std::string& dir_rel) override;
  CompressorStatus status();

  // At start: finish interrupted releases, queue the persisted queue and scans whose marker is still raw.
  void resume();
  // Compresses one scan now, on the calling thread (tests, srsfs-admin). Throws on failure.
  void compress_now(const std::string& dir_rel);
  // Blocks until the queue is empty and no scan is in progress.
  void wait_idle();

 private:
  struct Job {
    enum class Phase { queued, compressing, failed } phase = Phase::queued;
    double progress = 0;
    std::string error;
  };
  struct Stopped : std::exception {
    const char* what() const noexcept override { return "the daemon is stopping"; }
  };
  struct ReleaseCount {
    size_t released = 0, kept = 0, held = 0;
  };
  void run();
  void compress(const std::string& dir_rel, const std::function<void(double)>& progress);
  void check_compressible(const std::string& dir_rel);
  // Releases every raw file of scan_id that is exactly its stored copy; stops early when the daemon stops.
  ReleaseCount release_scan(uint64_t scan_id);
  // One file of it, in the directory `dir` (opened below SOURCE without following symlinks); nullopt when no
  // file has that name (released already, or renamed).
  std::optional<WriteGate::Verdict> release_file(int dir, const std::string& dir_rel, const std::string& name, const FileRecord& r);
  void queue_release(uint64_t scan_id);
  void throw_if_stopping() const;
  std::string queue_file(const std::string& dir_rel) const;  // its name in queue_dir
  void persist(const std::string& dir_rel, bool queued) noexcept;
  void test_pause(const char* point);

  Store& store_;
  CompressorOptions opts_;
  std::string pause_at_;  // SRSFS_TEST_PAUSE_AT
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::string> queue_;
  std::deque<uint64_t> release_queue_;               // scans whose held-back files were closed
  std::map<WriteGate::Key, uint64_t> held_;          // raw file held open at release -> its scan
  std::map<std::string, Job> jobs_;  // dir -> queued / compressing / failed; done scans are in the store
  unsigned busy_ = 0;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};  // stop_, readable without mu_ from the coding loops
  UniqueFd source_fd_;                 // SOURCE, from which every release resolves its path
  std::optional<PrivateDir> spool_dir_, queue_dir_;
  std::vector<std::jthread> workers_;
};

}  // namespace srsfs::fs
