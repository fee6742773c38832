// BlobStore in the store's own LMDB environment: database `blocks`, key BE u64 scan + BE u32 index,
// value = XXH3-64 of the payload (LE u64) + payload.
#pragma once
#include "fs/blob_store.h"
#include "fs/lmdb_env.h"

namespace srsfs::fs {

class LmdbBlobStore final : public BlobStore {
 public:
  // `env` must outlive this object; `dbi` is the opened `blocks` database.
  LmdbBlobStore(lmdb::Env& env, lmdb::Dbi dbi) : env_(env), dbi_(std::move(dbi)) {}

  void put(uint64_t scan, std::span<const BlockPut> blocks) override;
  void visit(uint64_t scan, uint32_t index, const std::function<void(ByteSpan)>& fn) const override;
  void erase_scan(uint64_t scan) override;
  std::vector<uint64_t> scans() const override;
  std::vector<Entry> list(uint64_t scan) const override;

 private:
  lmdb::Env& env_;
  lmdb::Dbi dbi_;
};

}  // namespace srsfs::fs
