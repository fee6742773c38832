#include "fs/lmdb_env.h"

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

namespace srsfs::fs::lmdb {

void throw_error(int rc, std::string_view what) {
  const char* why = mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND:
      fail(Errc::not_found, "{}: not found", what);
    case MDB_MAP_FULL:
      throw MapFull(Errc::no_space, fmt::format("{}: the store's map is full", what));
    case MDB_MAP_RESIZED:
      throw MapResized(Errc::io, fmt::format("{}: another process grew the store's map", what));
    case MDB_TXN_FULL:
      fail(Errc::no_space, "{}: too many changes for one transaction ({})", what, why);
    case ENOSPC:
    case EDQUOT:
      fail(Errc::no_space, "{}: the disk holding the store is full ({}); nothing was written", what, why);
    case EIO:
      // LMDB reports a short write (the usual face of a full disk) as EIO.
      fail(Errc::no_space, "{}: the disk refused the write ({}; usually a full disk); nothing was written",
           what, why);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_BAD_VALSIZE:
      fail(Errc::corrupt, "{}: the store's database is damaged ({})", what, why);
    case MDB_VERSION_MISMATCH:
      fail(Errc::unsupported, "{}: the store was written by an incompatible LMDB version ({})", what, why);
    case MDB_READERS_FULL:
      fail(Errc::io, "{}: too many concurrent readers of the store ({})", what, why);
    case EACCES:
    case EROFS:
      fail(Errc::io, "{}: permission denied ({})", what, why);
    default:
      fail(Errc::io, "{}: {}", what, why);
  }
}

Txn::Txn(MDB_env* env, bool read_only) : read_only_(read_only) {
  check(mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0, &h_),
        read_only ? "starting a store read" : "starting a store write");
}

void Txn::commit() {
  MDB_txn* h = std::exchange(h_, nullptr);  // mdb_txn_commit frees the txn even when it fails
  check(mdb_txn_commit(h), "committing to the store");
}

std::optional<ByteSpan> Txn::get(MDB_dbi dbi, ByteSpan key) const {
  MDB_val k = val(key), v{};
  int rc = mdb_get(h_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  check(rc, "reading the store");
  return span(v);
}

void Txn::put(MDB_dbi dbi, ByteSpan key, ByteSpan value) {
  MDB_val k = val(key), v = val(value);
  check(mdb_put(h_, dbi, &k, &v, 0), "writing the store");
}

uint8_t* Txn::reserve(MDB_dbi dbi, ByteSpan key, size_t size) {
  MDB_val k = val(key), v{size, nullptr};
  check(mdb_put(h_, dbi, &k, &v, MDB_RESERVE), "writing the store");
  return static_cast<uint8_t*>(v.mv_data);
}

bool Txn::del(MDB_dbi dbi, ByteSpan key) {
  MDB_val k = val(key);
  int rc = mdb_del(h_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "deleting from the store");
  return true;
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) { check(mdb_cursor_open(txn.get(), dbi, &h_), "opening a cursor"); }

bool Cursor::move(MDB_cursor_op op) {
  int rc = mdb_cursor_get(h_, &k_, &v_, op);
  if (rc == MDB_NOTFOUND) return false;
  check(rc, "iterating the store");
  return true;
}

bool Cursor::seek(ByteSpan key) {
  k_ = val(key);
  return move(MDB_SET_RANGE);
}

void Cursor::del() { check(mdb_cursor_del(h_, 0), "deleting from the store"); }

Env::Env(const std::filesystem::path& dir, const EnvOptions& opts) : dir_(dir), opts_(opts) {
  check(mdb_env_create(&h_), "creating an LMDB environment");
  try {
    const std::string what = fmt::format("opening the store in {}", dir.string());
    check(mdb_env_set_maxdbs(h_, opts.max_dbs), what);
    check(mdb_env_set_maxreaders(h_, opts.max_readers), what);
    if (!opts.read_only) check(mdb_env_set_mapsize(h_, opts.map_bytes), what);
    // MDB_NOTLS: read txns are not bound to a thread (FUSE threads hop). No MDB_WRITEMAP: with it a full disk
    // is a SIGBUS instead of an error. No MDB_NOSYNC: a commit is durable when it returns.
    unsigned flags = MDB_NOTLS | (opts.read_only ? MDB_RDONLY : 0);
    // 0600: the store is the daemon's alone. LMDB narrows this by the umask, never widens it; the daemon's
    // store open pre-creates both files with exactly 0600 anyway (fs/store.cpp).
    check(mdb_env_open(h_, dir.c_str(), flags, 0600), what);
  } catch (...) {
    mdb_env_close(h_);
    throw;
  }
}

Env::~Env() { mdb_env_close(h_); }

uint64_t Env::map_bytes() const {
  MDB_envinfo info{};
  mdb_env_info(h_, &info);
  return info.me_mapsize;
}

Dbi Env::open_dbi(Txn& txn, const char* name) {
  MDB_dbi h = 0;
  int rc = mdb_dbi_open(txn.get(), name, txn.read_only() ? 0 : MDB_CREATE, &h);
  if (rc == MDB_NOTFOUND)
    fail(Errc::corrupt, "{} is not an srsfs store: database '{}' is missing", dir_.string(), name);
  check(rc, fmt::format("opening database '{}' of the store in {}", name, dir_.string()));
  return Dbi(h_, h);
}

void Env::grow() {
  std::unique_lock lock(resize_mu_);  // no transaction of ours may be open while the map changes
  uint64_t now = map_bytes();
  if (now >= opts_.max_map_bytes)
    fail(Errc::no_space, "the store in {} reached its size limit of {} bytes", dir_.string(), opts_.max_map_bytes);
  uint64_t next = std::min(now * 2, opts_.max_map_bytes);
  check(mdb_env_set_mapsize(h_, next), fmt::format("growing the store's map in {}", dir_.string()));
  spdlog::debug("store {}: map grown from {} to {} bytes", dir_.string(), now, next);
}

void Env::adopt_new_size() const {
  std::unique_lock lock(resize_mu_);
  check(mdb_env_set_mapsize(h_, 0), fmt::format("adopting the store's new map size in {}", dir_.string()));
}

}  // namespace srsfs::fs::lmdb
