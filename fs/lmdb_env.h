// RAII over LMDB (env, txn, cursor, dbi) plus the two things every caller needs: serialised writers that
// survive MDB_MAP_FULL (grow the map, retry the same write) and short read transactions from any thread.
//
// LMDB must live on a LOCAL filesystem (ext4, xfs, tmpfs), never NFS or Lustre: its reader table is a
// shared-memory lock file and readers see writes through mmap, neither of which is coherent across
// network-filesystem clients. Bulk data may later move elsewhere (see blob_store.h); the index may not.
#pragma once
#include <lmdb.h>

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "codec/bytes.h"
#include "codec/error.h"

namespace srsfs::fs::lmdb {

// Maps an LMDB or errno code to srsfs::Error; `what` names the operation and object.
[[noreturn]] void throw_error(int rc, std::string_view what);
inline void check(int rc, std::string_view what) {
  if (rc != MDB_SUCCESS) throw_error(rc, what);
}

// Thrown from inside a write when the map is full; Env::write grows the map and runs the write again.
class MapFull : public Error {
 public:
  using Error::Error;
};
// Another process grew the map; the transaction must be retried after adopting the new size.
class MapResized : public Error {
 public:
  using Error::Error;
};

inline MDB_val val(ByteSpan b) { return MDB_val{b.size(), const_cast<uint8_t*>(b.data())}; }
inline MDB_val val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline ByteSpan span(const MDB_val& v) { return {static_cast<const uint8_t*>(v.mv_data), v.mv_size}; }
inline std::string_view str(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }
inline ByteSpan bytes_of(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

class Txn {
 public:
  Txn(MDB_env* env, bool read_only);
  ~Txn() {
    if (h_) mdb_txn_abort(h_);
  }
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;

  MDB_txn* get() const { return h_; }
  bool read_only() const { return read_only_; }
  void commit();

  // Spans point into the map and stay valid until the transaction ends (or, in a write txn, the next put).
  std::optional<ByteSpan> get(MDB_dbi dbi, ByteSpan key) const;
  std::optional<ByteSpan> get(MDB_dbi dbi, std::string_view key) const { return get(dbi, bytes_of(key)); }
  void put(MDB_dbi dbi, ByteSpan key, ByteSpan value);
  void put(MDB_dbi dbi, std::string_view key, ByteSpan value) { put(dbi, bytes_of(key), value); }
  // Reserves `size` bytes for the value and returns where to write them (no intermediate copy).
  uint8_t* reserve(MDB_dbi dbi, ByteSpan key, size_t size);
  bool del(MDB_dbi dbi, ByteSpan key);
  bool del(MDB_dbi dbi, std::string_view key) { return del(dbi, bytes_of(key)); }

 private:
  MDB_txn* h_ = nullptr;
  bool read_only_;
};

class Cursor {
 public:
  Cursor(const Txn& txn, MDB_dbi dbi);
  ~Cursor() { mdb_cursor_close(h_); }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;

  bool first() { return move(MDB_FIRST); }
  bool next() { return move(MDB_NEXT); }
  // Positions at the first key >= `key`.
  bool seek(ByteSpan key);
  bool seek(std::string_view key) { return seek(bytes_of(key)); }
  ByteSpan key() const { return span(k_); }
  ByteSpan value() const { return span(v_); }
  std::string_view key_str() const { return str(k_); }
  // Deletes the current entry; next() then moves to the entry after it.
  void del();

 private:
  bool move(MDB_cursor_op op);
  MDB_cursor* h_ = nullptr;
  MDB_val k_{}, v_{};
};

// A named database handle, closed before its environment.
class Dbi {
 public:
  Dbi() = default;
  Dbi(MDB_env* env, MDB_dbi h) : env_(env), h_(h) {}
  ~Dbi() {
    if (env_) mdb_dbi_close(env_, h_);
  }
  Dbi(Dbi&& o) noexcept : env_(std::exchange(o.env_, nullptr)), h_(o.h_) {}
  Dbi& operator=(Dbi&& o) noexcept {
    std::swap(env_, o.env_);
    std::swap(h_, o.h_);
    return *this;
  }
  MDB_dbi get() const { return h_; }
  operator MDB_dbi() const { return h_; }

 private:
  MDB_env* env_ = nullptr;
  MDB_dbi h_ = 0;
};

struct EnvOptions {
  uint64_t map_bytes = uint64_t(64) << 20;   // initial map; doubled on MDB_MAP_FULL
  uint64_t max_map_bytes = uint64_t(1) << 40;
  unsigned max_dbs = 16;
  unsigned max_readers = 510;
  bool read_only = false;
};

class Env {
 public:
  Env(const std::filesystem::path& dir, const EnvOptions& opts);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* get() const { return h_; }
  const std::filesystem::path& dir() const { return dir_; }
  bool read_only() const { return opts_.read_only; }
  uint64_t map_bytes() const;

  // Runs fn(Txn&) in its own read transaction, from any thread, many at once. The transaction (and every
  // span it handed out) ends when fn returns: keep fn short.
  template <class F>
  auto read(F&& fn) const -> std::invoke_result_t<F&, Txn&> {
    for (;;) {
      try {
        std::shared_lock lock(resize_mu_);  // a resize waits until no transaction is open
        Txn txn(h_, true);
        return fn(txn);
      } catch (const MapResized&) {
        adopt_new_size();
      }
    }
  }

  // Runs fn(Txn&) in a write transaction and commits it durably. Writers are serialised. On MDB_MAP_FULL
  // the transaction is aborted, the map doubled and fn run AGAIN from scratch: fn must only touch the txn
  // and state it resets itself.
  template <class F>
  auto write(F&& fn) -> std::invoke_result_t<F&, Txn&> {
    using R = std::invoke_result_t<F&, Txn&>;
    std::lock_guard writer(write_mu_);
    for (;;) {
      try {
        std::shared_lock lock(resize_mu_);
        Txn txn(h_, false);
        if constexpr (std::is_void_v<R>) {
          fn(txn);
          txn.commit();
          return;
        } else {
          R r = fn(txn);
          txn.commit();
          return r;
        }
      } catch (const MapFull&) {
        grow();
      } catch (const MapResized&) {
        adopt_new_size();
      }
    }
  }

  // Opens (creating in a writable env) a named database; call before concurrent use.
  Dbi open_dbi(Txn& txn, const char* name);

 private:
  void grow();
  void adopt_new_size() const;

  std::filesystem::path dir_;
  EnvOptions opts_;
  MDB_env* h_ = nullptr;
  std::mutex write_mu_;
  mutable std::shared_mutex resize_mu_;
};

}  // namespace srsfs::fs::lmdb
