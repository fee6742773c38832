// Encodes a scan directory: every regular file below it is either a frame of the coded sequence (a plain
// 16-bit TIFF of the sequence's geometry, in name order) or a fallback blob. Frames are read one group at a
// time, so memory holds a group of frames, never the scan.
#pragma once
#include <filesystem>
#include <functional>
#include <vector>

#include "codec/frame.h"
#include "codec/scan_manifest.h"

namespace srsfs::codec {

// Trains the scan's model on a sample of its first frames (the paper trains on one frame). The LMS mode
// needs no training; the paper modes' trainer lives in codec/train (LibTorch).
using ModelTrainer = std::function<ScanModel(const std::vector<const Frame16*>& sample, const CodecParams&)>;

// Receives the coded scan as it is produced. put_model comes first (before any block); blocks arrive in
// increasing index order; blobs in increasing index order.
class ScanSink {
 public:
  virtual ~ScanSink() = default;
  virtual void put_model(const ScanModel& model) = 0;
  virtual void put_block(uint32_t index, Bytes data) = 0;
  virtual void put_blob(uint32_t index, Bytes data) = 0;
};

struct EncodeOptions {
  CodecParams params;
  ModelTrainer trainer;  // required for fc/lstm/gru; ignored for lms
  // Called after each file; may throw to abandon the scan (a daemon stopping), nothing of it is kept.
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> progress;
  // Non-null: symlinks and special files are listed here and left out of the scan instead of failing it (the
  // filesystem keeps them raw). Null: they are an Errc::unsupported error (an archive would silently lack them).
  std::vector<std::string>* left_out = nullptr;
};

// Files of a scan directory in coding order: regular files, relative paths, sorted. Anything that is not a
// regular file or directory (sockets, devices, symlinks) goes to `left_out`, or without one throws
// Errc::unsupported.
std::vector<std::string> list_scan_files(const std::filesystem::path& dir, std::vector<std::string>* left_out = nullptr);

ScanManifest encode_scan_dir(const std::filesystem::path& dir, const EncodeOptions& opts, ScanSink& sink);

}  // namespace srsfs::codec
