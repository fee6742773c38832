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
// Test hook: with SRSFS_TEST_PAUSE_AT=encode|commit|release in the environment, the worker stops at that point
// (encode: spool archive written, nothing in the store; commit: blocks stored, scan not committed; release:
// committed and the first raw file removed), creates the file named by SRSFS_TEST_PAUSE_FILE (if set) and
// sleeps up to SRSFS_TEST_PAUSE_S seconds (default 120) so that a test can kill -9 the daemon right there.
#pragma once
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "codec/scan_codec.h"
#include "fs/compressed_view.h"
#include "fs/store.h"

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
  ~Compressor() override;  // finishes the scan in progress; the queue stays persisted for resume()

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
  void run();
  void compress(const std::string& dir_rel, const std::function<void(double)>& progress);
  void check_compressible(const std::string& dir_rel);
  void release_committed(const ScanRecord& scan);
  std::filesystem::path queue_file(const std::string& dir_rel) const;
  void persist(const std::string& dir_rel, bool queued) noexcept;
  void test_pause(const char* point);

  Store& store_;
  CompressorOptions opts_;
  std::string pause_at_;  // SRSFS_TEST_PAUSE_AT
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::string> queue_;
  std::map<std::string, Job> jobs_;  // dir -> queued / compressing / failed; done scans are in the store
  unsigned busy_ = 0;
  bool stop_ = false;
  std::vector<std::jthread> workers_;
};

}  // namespace srsfs::fs
