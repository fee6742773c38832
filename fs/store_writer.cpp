#include <ctime>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "fs/store.h"
#include "fs/store_keys.h"
#include "fs/store_writer_state.h"

namespace srsfs::fs {

namespace {
void flush_locked(ScanWriter::State& s) {
  if (s.buffer.empty()) return;
  std::vector<BlockPut> puts;
  puts.reserve(s.buffer.size());
  for (const auto& [index, bytes] : s.buffer) puts.push_back({index, bytes});
  s.store->blobs().put(s.id, puts);
  s.buffer.clear();
  s.buffered_bytes = 0;
}
}  // namespace

ScanWriter::ScanWriter(std::unique_ptr<State> s) : s_(std::move(s)) {}
ScanWriter::ScanWriter(ScanWriter&&) noexcept = default;
ScanWriter::~ScanWriter() {
  if (s_) abort();
}

uint64_t ScanWriter::scan_id() const { return s_->id; }
const std::string& ScanWriter::path() const { return s_->path; }

void ScanWriter::put_block(uint32_t index, ByteSpan bytes) {
  std::lock_guard lock(s_->mu);
  if (s_->done) fail(Errc::invalid_argument, "scan {} ({}) is already committed or aborted", s_->id, s_->path);
  if (index >= s_->sizes.size()) s_->sizes.resize(size_t(index) + 1, -1);
  s_->sizes[index] = int64_t(bytes.size());
  s_->buffer.emplace_back(index, Bytes(bytes.begin(), bytes.end()));
  s_->buffered_bytes += bytes.size();
  if (s_->buffered_bytes >= s_->store->opts_.write_batch_bytes) flush_locked(*s_);
}

void ScanWriter::flush() {
  std::lock_guard lock(s_->mu);
  flush_locked(*s_);
}

ScanRecord ScanWriter::commit(std::vector<FileRecord> files, uint64_t raw_bytes) {
  return finish(std::nullopt, std::move(files), raw_bytes);
}

ScanRecord ScanWriter::commit_replacing(uint64_t old_scan_id, std::vector<FileRecord> files, uint64_t raw_bytes) {
  return finish(old_scan_id, std::move(files), raw_bytes);
}

ScanRecord ScanWriter::finish(std::optional<uint64_t> replacing, std::vector<FileRecord> files, uint64_t raw_bytes) {
  State& s = *s_;
  Store& st = *s.store;
  std::lock_guard lock(s.mu);
  if (s.done) fail(Errc::invalid_argument, "scan {} ({}) is already committed or aborted", s.id, s.path);
  if (files.empty()) fail(Errc::invalid_argument, "scan {} has no files to commit", s.path);
  ScanRecord rec;
  rec.id = s.id;
  rec.path = s.path;
  rec.state = ScanState::compressed;
  rec.model_id = s.model_id;
  rec.raw_bytes = raw_bytes;
  rec.codec_header = s.header;
  rec.blocks = uint32_t(s.sizes.size());
  for (size_t i = 0; i < s.sizes.size(); ++i) {
    if (s.sizes[i] < 0)
      fail(Errc::invalid_argument, "scan {}: blocks must be numbered 0..{}, block {} was never written", s.path,
           s.sizes.size() - 1, i);
    rec.stored_bytes += uint64_t(s.sizes[i]);
  }
  flush_locked(s);
  for (FileRecord& f : files) f.path = keys::normalize_path(f.path, "file");

  std::vector<uint64_t> orphaned;
  st.env_->write([&](lmdb::Txn& txn) {
    orphaned.clear();  // this body runs again if the map had to grow
    if (!txn.get(st.meta_, keys::pending(s.id)))
      fail(Errc::internal, "scan {} ({}) is no longer pending in the store", s.id, s.path);
    std::unordered_map<std::string, uint64_t> old_inos;
    if (replacing) {
      auto ov = txn.get(st.scans_, keys::be64(*replacing));
      if (!ov) fail(Errc::not_found, "cannot replace scan {} with a re-encode of {}: it does not exist", *replacing, s.path);
      ScanRecord old = decode_scan(*ov);
      std::vector<std::string> paths;
      const std::string prefix = keys::be64(old.id);
      {
        lmdb::Cursor c(txn, st.scan_files_);
        for (bool ok = c.seek(prefix); ok && c.key_str().starts_with(prefix); ok = c.next())
          paths.emplace_back(c.key_str().substr(8));
      }
      for (const std::string& p : paths) {
        auto fv = txn.get(st.files_, keys::file_key(p));
        if (fv) {
          FileRecord f = decode_file(p, *fv);
          old_inos[p] = f.ino;
          txn.del(st.inodes_, keys::be64(f.ino));
          txn.del(st.files_, keys::file_key(p));
        }
        txn.del(st.scan_files_, keys::scan_file(old.id, p));
      }
      st.drop_scan_locked(txn, old, orphaned);
    }
    if (auto owner = txn.get(st.scan_paths_, s.path))
      fail(Errc::invalid_argument, "{} is already stored as scan {}; a re-encode must replace it", s.path,
           keys::read_be64(*owner));
    if (s.model_id != 0) {
      auto mv = txn.get(st.models_, keys::be64(s.model_id));
      if (!mv) fail(Errc::not_found, "cannot commit scan {}: model {} no longer exists", s.path, s.model_id);
      ModelRecord m = decode_model(*mv);
      ++m.refcount;
      txn.put(st.models_, keys::be64(m.id), encode(m));
    }
    // Inode numbers: a file keeps the one it had (its raw st_ino, or its number before a re-encode). Numbers
    // the store invents start at 2^62, beyond any real filesystem's, so they never equal a raw file's, and
    // they are handed out only after every kept number of this commit is reserved.
    constexpr uint64_t kAssignedInoBase = uint64_t(1) << 62;
    uint64_t next_ino = kAssignedInoBase;
    if (auto v = txn.get(st.meta_, keys::next_ino)) next_ino = std::max(next_ino, ByteReader(*v).u64());
    std::vector<FileRecord> out;
    out.reserve(files.size());
    std::unordered_set<uint64_t> taken;
    for (const FileRecord& in : files) {
      FileRecord f = in;
      f.scan_id = s.id;
      const std::string key = keys::file_key(f.path);
      if (auto existing = txn.get(st.files_, key)) {
        uint64_t other = decode_file(f.path, *existing).scan_id;
        if (other == s.id) fail(Errc::invalid_argument, "scan {}: file {} is listed twice", s.path, f.path);
        fail(Errc::invalid_argument, "scan {}: file {} already belongs to scan {}", s.path, f.path, other);
      }
      if (f.ino == 0) {
        auto it = old_inos.find(f.path);
        if (it != old_inos.end()) f.ino = it->second;
      }
      if (f.ino != 0) {
        if (auto holder = txn.get(st.inodes_, keys::be64(f.ino)))
          fail(Errc::invalid_argument, "scan {}: inode {} of {} is already used by {}", s.path, f.ino, f.path,
               std::string_view(reinterpret_cast<const char*>(holder->data()), holder->size()));
        if (!taken.insert(f.ino).second)
          fail(Errc::invalid_argument, "scan {}: inode {} is given to two files", s.path, f.ino);
      }
      out.push_back(std::move(f));
    }
    for (FileRecord& f : out) {
      if (f.ino == 0) {
        while (taken.count(next_ino) || txn.get(st.inodes_, keys::be64(next_ino))) ++next_ino;
        f.ino = next_ino++;
        taken.insert(f.ino);
      }
      txn.put(st.files_, keys::file_key(f.path), encode(f));
      txn.put(st.scan_files_, keys::scan_file(s.id, f.path), ByteSpan{});
      txn.put(st.inodes_, keys::be64(f.ino), lmdb::bytes_of(f.path));
    }
    Bytes nb;
    ByteWriter(nb).u64(next_ino);
    txn.put(st.meta_, keys::next_ino, nb);
    rec.committed_at = int64_t(std::time(nullptr));
    txn.put(st.scans_, keys::be64(s.id), encode(rec));
    txn.put(st.scan_paths_, s.path, lmdb::bytes_of(keys::be64(s.id)));
    txn.del(st.meta_, keys::pending(s.id));
  });
  s.done = true;
  st.collect(orphaned);
  return rec;
}

void ScanWriter::abort() noexcept {
  if (!s_) return;
  State& s = *s_;
  std::lock_guard lock(s.mu);
  if (s.done) return;
  s.done = true;
  s.buffer.clear();
  // Same cleanup as for a crashed writer: erase the blocks, then the pending mark.
  s.store->collect({s.id});
}

}  // namespace srsfs::fs
