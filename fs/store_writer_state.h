// Private to the store: what a ScanWriter carries between begin_scan and commit.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "codec/bytes.h"
#include "fs/store.h"

namespace srsfs::fs {

struct ScanWriter::State {
  Store* store = nullptr;
  uint64_t id = 0;
  std::string path;
  uint64_t model_id = 0;
  Bytes header;

  std::mutex mu;  // put_block may come from several encoder threads
  std::vector<std::pair<uint32_t, Bytes>> buffer;
  size_t buffered_bytes = 0;
  std::vector<int64_t> sizes;  // per block index; -1: not written
  bool done = false;           // committed or aborted
};

}  // namespace srsfs::fs
