// Where the bulk bytes of compressed blocks live. The store's LMDB index (scan, file, model records) refers
// to blocks only by (scan id, block index), so blocks can move to pack files on a parallel filesystem or to
// an object store without touching the commit protocol: blocks are written before the records that refer to
// them and erased after the records are gone; Store::open removes blocks no record refers to.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "codec/bytes.h"

namespace srsfs::fs {

struct BlockPut {
  uint32_t index = 0;
  ByteSpan bytes;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Stores blocks of `scan` durably before returning; an index stored again is replaced.
  virtual void put(uint64_t scan, std::span<const BlockPut> blocks) = 0;
  // Calls fn with the block's bytes after verifying their checksum; the span is valid only during fn.
  // Errc::not_found if absent, Errc::corrupt if the checksum fails.
  virtual void visit(uint64_t scan, uint32_t index, const std::function<void(ByteSpan)>& fn) const = 0;
  Bytes get(uint64_t scan, uint32_t index) const {
    Bytes out;
    visit(scan, index, [&](ByteSpan b) { out.assign(b.begin(), b.end()); });
    return out;
  }
  // Removes every block of `scan` (the range erase); idempotent.
  virtual void erase_scan(uint64_t scan) = 0;
  // Scan ids that have at least one block, ascending (garbage collection, check).
  virtual std::vector<uint64_t> scans() const = 0;
  // Block indices of `scan` with their stored sizes, ascending; nothing is verified.
  struct Entry {
    uint32_t index;
    uint64_t bytes;
  };
  virtual std::vector<Entry> list(uint64_t scan) const = 0;
};

}  // namespace srsfs::fs
