// Schema of user.srsfs.status (version 1):
//   {"version":1, "source":S, "store":S, "queue_length":N, "compressing":N,
//    "totals":{"compressed_scans":N, "raw_bytes":N, "stored_bytes":N, "ratio":stored/raw},
//    "scans":[{"path":S, "state":"raw|queued|compressing|compressed|failed", "raw_bytes":N, "stored_bytes":N,
//              "ratio":R, "files":N?, "progress":0..1?, "error":S?, "committed_at":unix?}],
//    "scans_omitted":N,
//    "cache":{"hits","misses","hit_rate","bytes","capacity_bytes","entries","evictions","loads",
//             "load_failures","decode_seconds","prefetches","prefetch_hits","decoded_bytes",
//             "largest_group_bytes","warnings":[text, ...]}}
// raw_bytes of a scan not yet in the store is what its SOURCE directory holds now (regular files, recursive).
#include "fs/mount_status.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace srsfs::fs {
namespace {
using nlohmann::json;

uint64_t bytes_below(const std::filesystem::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) n += it->file_size(ec);
  return n;
}

double ratio(uint64_t stored, uint64_t raw) { return raw ? double(stored) / double(raw) : 0.0; }
}  // namespace

std::string mount_status_json(StoreView& view, const CompressorStatus& comp, const std::vector<std::string>& writing,
                              const std::filesystem::path& source, size_t max_bytes) {
  json active = json::array();  // not (yet) in the store: always listed
  std::set<std::string> seen;
  for (const auto& j : comp.jobs) {
    seen.insert(j.dir);
    json s{{"path", j.dir}, {"state", j.state}, {"raw_bytes", bytes_below(source / j.dir)}, {"stored_bytes", 0},
           {"ratio", 0.0}};
    if (j.state == "compressing") s["progress"] = j.progress;
    if (j.state == "failed") s["error"] = j.error;
    active.push_back(std::move(s));
  }
  for (const auto& d : writing)
    if (seen.insert(d).second)
      active.push_back({{"path", d}, {"state", "raw"}, {"raw_bytes", bytes_below(source / d)}, {"stored_bytes", 0},
                        {"ratio", 0.0}});

  std::vector<ScanRecord> scans = view.store().list_scans();
  std::sort(scans.begin(), scans.end(), [](const auto& a, const auto& b) { return a.committed_at > b.committed_at; });
  uint64_t raw = 0, stored = 0;
  for (const auto& s : scans) {
    raw += s.raw_bytes;
    stored += s.stored_bytes;
  }
  const cache::CacheStatsSnapshot c = view.cache_stats();
  json doc{{"version", kStatusVersion},
           {"source", source.string()},
           {"store", view.store().dir().string()},
           {"queue_length", comp.queue_length},
           {"compressing", comp.busy},
           {"totals",
            {{"compressed_scans", scans.size()}, {"raw_bytes", raw}, {"stored_bytes", stored},
             {"ratio", ratio(stored, raw)}}},
           {"cache",
            {{"hits", c.hits}, {"misses", c.misses}, {"hit_rate", c.hit_rate()}, {"bytes", c.bytes},
             {"capacity_bytes", view.cache_capacity()}, {"entries", c.entries}, {"evictions", c.evictions},
             {"loads", c.loads}, {"load_failures", c.load_failures}, {"decode_seconds", double(c.load_ns) / 1e9},
             {"prefetches", c.prefetches}, {"prefetch_hits", c.prefetch_hits},
             {"decoded_bytes", view.decoded_bytes()}, {"largest_group_bytes", view.largest_group_bytes()},
             {"warnings", view.cache_warnings()}}}};
  doc["scans"] = active;
  doc["scans_omitted"] = 0;
  size_t size = doc.dump().size();
  size_t omitted = 0;
  for (const auto& s : scans) {
    if (seen.count(s.path)) continue;  // e.g. "already compressed" being re-checked
    json e{{"path", s.path},           {"state", "compressed"},         {"raw_bytes", s.raw_bytes},
           {"stored_bytes", s.stored_bytes}, {"ratio", ratio(s.stored_bytes, s.raw_bytes)},
           {"committed_at", s.committed_at}};
    const size_t add = e.dump().size() + 1;
    if (omitted || size + add + 16 > max_bytes) {
      ++omitted;
      continue;
    }
    size += add;
    doc["scans"].push_back(std::move(e));
  }
  doc["scans_omitted"] = omitted;
  return doc.dump();
}

}  // namespace srsfs::fs
