#include "fs/blob_lmdb.h"

#include <cstring>

#include "codec/checksum.h"
#include "fs/store_keys.h"

namespace srsfs::fs {

namespace {
constexpr size_t kSumBytes = 8;
// Deletions per write transaction when erasing a scan: keeps each transaction small.
constexpr size_t kEraseBatch = 4096;

void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}
uint64_t get_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
ByteSpan span_of(const std::array<uint8_t, 12>& k) { return {k.data(), k.size()}; }
}  // namespace

void LmdbBlobStore::put(uint64_t scan, std::span<const BlockPut> blocks) {
  env_.write([&](lmdb::Txn& txn) {
    for (const BlockPut& b : blocks) {
      auto key = keys::block(scan, b.index);
      uint8_t* dst = txn.reserve(dbi_, span_of(key), kSumBytes + b.bytes.size());
      put_le64(dst, checksum64(b.bytes));
      if (!b.bytes.empty()) std::memcpy(dst + kSumBytes, b.bytes.data(), b.bytes.size());
    }
  });
}

void LmdbBlobStore::visit(uint64_t scan, uint32_t index, const std::function<void(ByteSpan)>& fn) const {
  env_.read([&](lmdb::Txn& txn) {
    auto key = keys::block(scan, index);
    std::optional<ByteSpan> v = txn.get(dbi_, span_of(key));
    if (!v) fail(Errc::not_found, "block {} of scan {} is missing from the store", index, scan);
    if (v->size() < kSumBytes)
      fail(Errc::corrupt, "block {} of scan {} is damaged: {} bytes, shorter than its checksum", index, scan,
           v->size());
    ByteSpan payload = v->subspan(kSumBytes);
    uint64_t want = get_le64(v->data()), got = checksum64(payload);
    if (want != got)
      fail(Errc::corrupt, "block {} of scan {} is damaged: checksum {:016x} stored, {:016x} computed", index, scan,
           want, got);
    fn(payload);
  });
}

void LmdbBlobStore::erase_scan(uint64_t scan) {
  const std::string prefix = keys::be64(scan);
  for (;;) {
    size_t erased = env_.write([&](lmdb::Txn& txn) {
      size_t n = 0;
      lmdb::Cursor c(txn, dbi_);
      bool ok = c.seek(prefix);
      while (ok && n < kEraseBatch && c.key().size() >= 8 && keys::read_be64(c.key()) == scan) {
        c.del();
        ++n;
        ok = c.seek(prefix);  // re-seek: the first remaining block of the scan, if any
      }
      return n;
    });
    if (erased < kEraseBatch) return;
  }
}

std::vector<uint64_t> LmdbBlobStore::scans() const {
  return env_.read([&](lmdb::Txn& txn) {
    std::vector<uint64_t> ids;
    lmdb::Cursor c(txn, dbi_);
    bool ok = c.first();
    while (ok) {
      if (c.key().size() < 8) fail(Errc::corrupt, "block key of {} bytes in the store", c.key().size());
      uint64_t id = keys::read_be64(c.key());
      ids.push_back(id);
      if (id == UINT64_MAX) break;
      ok = c.seek(keys::be64(id + 1));  // skip the rest of this scan's blocks
    }
    return ids;
  });
}

std::vector<BlobStore::Entry> LmdbBlobStore::list(uint64_t scan) const {
  return env_.read([&](lmdb::Txn& txn) {
    std::vector<Entry> out;
    lmdb::Cursor c(txn, dbi_);
    for (bool ok = c.seek(keys::be64(scan)); ok; ok = c.next()) {
      ByteSpan k = c.key();
      if (k.size() != 12 || keys::read_be64(k) != scan) break;
      uint64_t n = c.value().size();
      out.push_back({keys::read_be32(k.subspan(8)), n >= kSumBytes ? n - kSumBytes : 0});
    }
    return out;
  });
}

}  // namespace srsfs::fs
