// Shared helpers of the store tests: deterministic block contents and file records.
#pragma once
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "codec/bytes.h"
#include "codec/checksum.h"
#include "fs/store.h"

namespace srsfs::fs::test {

// The code of the srsfs::Error that fn throws (a test failure if it throws none).
inline Errc code_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no srsfs::Error thrown";
  return Errc::internal;
}

// Bytes that depend on (tag, index) only, so a reader can recompute what a writer stored.
inline Bytes block_bytes(const std::string& tag, uint32_t index, size_t size) {
  uint64_t x = checksum64({reinterpret_cast<const uint8_t*>(tag.data()), tag.size()}) ^ (uint64_t(index) * 0x9E3779B97F4A7C15ull);
  Bytes b(size);
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b[i] = uint8_t(x);
  }
  return b;
}

inline FileRecord file_record(const std::string& path, uint64_t size = 1000) {
  FileRecord f;
  f.path = path;
  f.size = size;
  f.mode = 0100644;
  f.uid = 1000;
  f.gid = 100;
  f.atime = {1700000000, 1};
  f.mtime = {1700000001, 2};
  f.ctime = {1700000002, 3};
  f.checksum = 0x1234567890abcdefull ^ size;
  f.codec_entry = {1, 2, 3, uint8_t(path.size())};
  return f;
}

// Commits scan `dir` with `nblocks` blocks of `block_size` bytes and `nfiles` files named f0000.tif ...
inline ScanRecord write_scan(Store& store, const std::string& dir, uint32_t nblocks, size_t block_size,
                             uint32_t nfiles, uint64_t model_id = 0) {
  ScanWriter w = store.begin_scan(dir, model_id, Bytes{9, 8, 7});
  for (uint32_t i = 0; i < nblocks; ++i) w.put_block(i, block_bytes(dir, i, block_size));
  std::vector<FileRecord> files;
  for (uint32_t i = 0; i < nfiles; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/f%04u.tif", i);
    files.push_back(file_record(dir + name, 1000 + i));
  }
  return w.commit(std::move(files), uint64_t(nblocks) * block_size * 2);
}

}  // namespace srsfs::fs::test
