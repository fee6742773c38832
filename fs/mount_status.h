// The document behind getxattr user.srsfs.status on the mount root (`srsfs-admin status`): scans and their
// states, the compressor's queue, totals and the block cache's statistics.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "fs/compressor.h"
#include "fs/store_view.h"

namespace srsfs::fs {

inline constexpr int kStatusVersion = 1;

// JSON (schema: fs/mount_status.cpp), at most max_bytes: compressed scans are left out first (newest kept),
// counted in "scans_omitted"; totals always cover every scan. `writing`: scans the monitor sees being written.
std::string mount_status_json(StoreView& view, const CompressorStatus& comp, const std::vector<std::string>& writing,
                              const std::filesystem::path& source, size_t max_bytes);

}  // namespace srsfs::fs
