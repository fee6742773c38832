// Key layouts of the store's named databases. Big-endian integers so that LMDB's byte order is numeric
// order; file keys are `parent '\0' name` so one directory's files are one contiguous cursor range.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec/bytes.h"

namespace srsfs::fs::keys {

inline std::string be64(uint64_t v) {
  std::string k(8, '\0');
  for (int i = 0; i < 8; ++i) k[size_t(i)] = char(uint8_t(v >> (56 - 8 * i)));
  return k;
}
inline uint64_t read_be64(ByteSpan b) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}
inline uint32_t read_be32(ByteSpan b) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | b[i];
  return v;
}
// blocks: BE u64 scan id + BE u32 block index.
inline std::array<uint8_t, 12> block(uint64_t scan, uint32_t index) {
  std::array<uint8_t, 12> k{};
  for (int i = 0; i < 8; ++i) k[size_t(i)] = uint8_t(scan >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) k[size_t(8 + i)] = uint8_t(index >> (24 - 8 * i));
  return k;
}

// A store path: relative, '/'-separated, no empty, "." or ".." components, no NUL. Throws
// Errc::invalid_argument naming `what` otherwise. The empty path is the root (only valid as a directory).
std::string normalize_path(std::string_view path, const char* what, bool allow_root = false);

// files: "a/b/c.tif" -> "a/b\0c.tif"; "c.tif" -> "\0c.tif".
std::string file_key(std::string_view normalized_path);
std::string path_of_file_key(std::string_view key);
// The prefix shared by every file key directly inside `dir` (normalized; "" is the root).
std::string dir_prefix(std::string_view dir);

// scan_files: BE u64 scan id + file path: which files still reference a scan.
inline std::string scan_file(uint64_t scan, std::string_view path) { return be64(scan) + std::string(path); }

// meta keys.
inline constexpr std::string_view schema = "schema";
inline constexpr std::string_view next_scan = "next_scan";
inline constexpr std::string_view next_model = "next_model";
inline constexpr std::string_view next_ino = "next_ino";
// A scan id whose blocks are being written and that has no committed record yet.
inline std::string pending(uint64_t scan) { return "pending/" + be64(scan); }
// A scan id whose record is gone and whose blocks are being removed.
inline std::string doomed(uint64_t scan) { return "gc/" + be64(scan); }

}  // namespace srsfs::fs::keys
