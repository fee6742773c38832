// The background compressor: scans reported complete are queued; a worker encodes each into a spool archive,
// verifies it by decoding every file against the raw bytes' checksums, commits it to the store in one
// transaction and only then removes the raw frames from SOURCE. A crash at any step loses nothing: before the
// commit the raw files are untouched (the store drops the pending blocks at open); after it, resume() finishes
// the release of files whose raw copy still matches the stored checksum.
#pragma once
#include <condition_variable>
#include <deque>
#include <filesystem>
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
  std::string complete_marker = ".complete";
  unsigned workers = 1;
  codec::CodecParams params;               // model, threads per scan
};

class Compressor final : public ScanSink {
 public:
  Compressor(Store& store, CompressorOptions opts);
  ~Compressor() override;  // finishes the scan in progress, drops the queue (resume() picks it up next time)

  void scan_complete(const std::string& dir_rel) override;
  std::string scan_state(const std::string& dir_rel) override;

  // At start: finish interrupted releases and queue scans whose marker is still raw in SOURCE.
  void resume();
  // Compresses one scan now, on the calling thread (tests, srsfs-admin). Throws on failure.
  void compress_now(const std::string& dir_rel);
  // Blocks until the queue is empty and no scan is in progress.
  void wait_idle();

 private:
  void run();
  void release_committed(const ScanRecord& scan);
  Store& store_;
  CompressorOptions opts_;
  std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::string> queue_;
  std::map<std::string, std::string> state_;  // dir → queued / compressing / failed: ...
  unsigned busy_ = 0;
  bool stop_ = false;
  std::vector<std::jthread> workers_;
};

}  // namespace srsfs::fs
