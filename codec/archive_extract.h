// Decodes every file of an archive, checks each against its original checksum, and (unless verifying only)
// writes it under an output directory: to a temporary name first, renamed only once its checksum holds.
#pragma once
#include <filesystem>
#include <functional>
#include <optional>

#include "codec/archive.h"

namespace srsfs::codec {

struct ExtractOptions {
  unsigned threads = 0;
  std::function<void(uint64_t done_bytes, uint64_t total_bytes)> progress;
};

struct ExtractReport {
  uint64_t files = 0, bytes = 0;
};

// out_dir == nullopt: verify only.
ExtractReport extract_archive(const ArchiveReader& archive, const std::optional<std::filesystem::path>& out_dir,
                              const ExtractOptions& opts);

}  // namespace srsfs::codec
