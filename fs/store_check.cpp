// Store::check: everything the commit protocol promises, verified from the bytes on disk.
#include <map>
#include <set>
#include <unordered_map>

#include "fs/store.h"
#include "fs/store_keys.h"

namespace srsfs::fs {

namespace {
struct Snapshot {
  std::map<uint64_t, ScanRecord> scans;
  std::map<uint64_t, ModelRecord> models;
  std::set<uint64_t> marked;  // pending or gc marks
};
}  // namespace

CheckReport Store::check() const {
  CheckReport rep;
  auto problem = [&](std::string s) { rep.problems.push_back(std::move(s)); };

  // Records and indexes from one short read transaction (metadata only; blocks are read per scan below).
  Snapshot snap = env_->read([&](lmdb::Txn& txn) {
    Snapshot sn;
    lmdb::Cursor meta(txn, meta_);
    for (std::string_view prefix : {"pending/", "gc/"}) {
      for (bool ok = meta.seek(prefix); ok && meta.key_str().starts_with(prefix); ok = meta.next()) {
        uint64_t id = keys::read_be64(meta.key().subspan(prefix.size()));
        sn.marked.insert(id);
        rep.notes.push_back(fmt::format("scan {} is {}", id,
                                        prefix == "gc/" ? "deleted; its blocks are being removed"
                                                        : "being written (or its writer died; the next open cleans up)"));
      }
    }
    lmdb::Cursor mc(txn, models_);
    for (bool ok = mc.first(); ok; ok = mc.next()) {
      try {
        ModelRecord m = decode_model(mc.value());
        sn.models[m.id] = std::move(m);
      } catch (const Error& e) {
        problem(fmt::format("model record {}: {}", keys::read_be64(mc.key()), e.what()));
      }
    }
    lmdb::Cursor sc(txn, scans_);
    for (bool ok = sc.first(); ok; ok = sc.next()) {
      try {
        ScanRecord s = decode_scan(sc.value());
        if (s.id != keys::read_be64(sc.key())) problem(fmt::format("scan record {} carries id {}", keys::read_be64(sc.key()), s.id));
        auto owner = txn.get(scan_paths_, s.path);
        if (!owner || keys::read_be64(*owner) != s.id)
          problem(fmt::format("scan {} ({}) is missing from the path index", s.id, s.path));
        if (s.model_id != 0 && !sn.models.count(s.model_id))
          problem(fmt::format("scan {} ({}) uses model {}, which does not exist", s.id, s.path, s.model_id));
        sn.scans[s.id] = std::move(s);
      } catch (const Error& e) {
        problem(fmt::format("scan record {}: {}", keys::read_be64(sc.key()), e.what()));
      }
    }
    lmdb::Cursor pc(txn, scan_paths_);
    for (bool ok = pc.first(); ok; ok = pc.next()) {
      uint64_t id = keys::read_be64(pc.value());
      auto it = sn.scans.find(id);
      if (it == sn.scans.end() || it->second.path != pc.key_str())
        problem(fmt::format("path index entry {} names scan {}, which is not stored under that path", pc.key_str(), id));
    }
    std::unordered_map<uint64_t, uint64_t> files_per_scan;
    lmdb::Cursor fc(txn, files_);
    for (bool ok = fc.first(); ok; ok = fc.next()) {
      ++rep.files;
      std::string path;
      try {
        path = keys::path_of_file_key(fc.key_str());
        FileRecord f = decode_file(path, fc.value());
        if (!sn.scans.count(f.scan_id)) problem(fmt::format("file {} belongs to scan {}, which does not exist", path, f.scan_id));
        ++files_per_scan[f.scan_id];
        if (!txn.get(scan_files_, keys::scan_file(f.scan_id, path)))
          problem(fmt::format("file {} is missing from scan {}'s file index", path, f.scan_id));
        auto ino = txn.get(inodes_, keys::be64(f.ino));
        if (!ino || std::string_view(reinterpret_cast<const char*>(ino->data()), ino->size()) != path)
          problem(fmt::format("file {}: inode {} does not map back to it", path, f.ino));
      } catch (const Error& e) {
        problem(fmt::format("file record {}: {}", path, e.what()));
      }
    }
    uint64_t scan_file_entries = 0;
    lmdb::Cursor sfc(txn, scan_files_);
    for (bool ok = sfc.first(); ok; ok = sfc.next()) {
      ++scan_file_entries;
      std::string path(sfc.key_str().substr(8));
      auto fv = txn.get(files_, keys::file_key(path));
      if (!fv || decode_file(path, *fv).scan_id != keys::read_be64(sfc.key()))
        problem(fmt::format("scan {}'s file index lists {}, which is not its file", keys::read_be64(sfc.key()), path));
    }
    for (const auto& [id, s] : sn.scans)
      if (!files_per_scan.count(id)) problem(fmt::format("scan {} ({}) has no files left but was not removed", id, s.path));
    uint64_t inode_entries = 0;
    lmdb::Cursor ic(txn, inodes_);
    for (bool ok = ic.first(); ok; ok = ic.next()) ++inode_entries;
    if (inode_entries != rep.files)
      problem(fmt::format("the inode index has {} entries for {} files", inode_entries, rep.files));
    return sn;
  });
  rep.scans = snap.scans.size();
  rep.models = snap.models.size();

  // Model refcounts = committed scans using each model.
  std::map<uint64_t, uint64_t> uses;
  for (const auto& [id, s] : snap.scans)
    if (s.model_id) ++uses[s.model_id];
  for (const auto& [id, m] : snap.models) {
    uint64_t want = uses.count(id) ? uses[id] : 0;
    if (m.refcount != want)
      problem(fmt::format("model {} has refcount {} but {} scans use it", id, m.refcount, want));
  }

  // Blocks: each scan's 0..blocks-1 present and checksum-clean; no blocks without a scan.
  for (const auto& [id, s] : snap.scans) {
    std::vector<std::string> found;
    std::vector<BlobStore::Entry> entries = blobs_->list(id);
    std::vector<bool> seen(s.blocks, false);
    for (const auto& e : entries) {
      if (e.index >= s.blocks) {
        found.push_back(fmt::format("scan {} ({}) has block {} beyond its {} blocks", id, s.path, e.index, s.blocks));
        continue;
      }
      seen[e.index] = true;
      ++rep.blocks;
      rep.block_bytes += e.bytes;
      try {
        blobs_->visit(id, e.index, [](ByteSpan) {});
      } catch (const Error& err) {
        found.push_back(err.what());
      }
    }
    for (uint32_t i = 0; i < s.blocks; ++i)
      if (!seen[i]) found.push_back(fmt::format("block {} of scan {} ({}) is missing", i, id, s.path));
    // A scan deleted while we looked is not a problem.
    if (!found.empty() && get_scan(id))
      rep.problems.insert(rep.problems.end(), found.begin(), found.end());
  }
  for (uint64_t id : blobs_->scans()) {
    if (snap.scans.count(id) || snap.marked.count(id)) continue;
    bool now_known = env_->read([&](lmdb::Txn& txn) {
      return txn.get(scans_, keys::be64(id)).has_value() || txn.get(meta_, keys::pending(id)).has_value() ||
             txn.get(meta_, keys::doomed(id)).has_value();
    });
    if (!now_known)
      problem(fmt::format("{} dangling blocks of scan {}, which has no record", blobs_->list(id).size(), id));
  }
  return rep;
}

}  // namespace srsfs::fs
