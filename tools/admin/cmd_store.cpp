// Read-only views over a store directory: ls, stat, models, check. Safe beside a running daemon.
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/block_codec.h"
#include "fs/retrain.h"
#include "fs/store.h"
#include "tools/admin/command.h"

namespace srsfs::admin {
namespace {

using fs::FileRecord;
using fs::Store;
using nlohmann::json;

std::unique_ptr<Store> open_ro(const std::string& dir) {
  fs::StoreOptions o;
  o.read_only = true;
  return Store::open(dir, o);
}

json file_json(const FileRecord& f) {
  return {{"path", f.path}, {"size", f.size},   {"scan", f.scan_id},
          {"ino", f.ino},   {"mode", f.mode},   {"uid", f.uid},
          {"gid", f.gid},   {"mtime", f.mtime.sec}, {"checksum", fmt::format("{:016x}", f.checksum)}};
}

std::string when(int64_t t) {
  std::time_t tt = std::time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

struct Opts {
  std::string store, path;
  bool json = false;
};

void add_common(CLI::App* cmd, Opts& o) {
  cmd->add_option("--store", o.store, "store directory (the daemon's --store)")->required();
  cmd->add_flag("--json", o.json, "machine-readable output");
}

Register r([](CLI::App& app) {
  auto opts = std::make_shared<Opts>();

  auto* ls = app.add_subcommand("ls", "list compressed files of a store directory (default: the scans)");
  add_common(ls, *opts);
  ls->add_option("path", opts->path, "directory relative to the mount source");
  ls->callback([opts] {
    auto store = open_ro(opts->store);
    json out = json::array();
    if (opts->path.empty()) {
      for (const auto& s : store->list_scans()) {
        if (opts->json) {
          out.push_back({{"id", s.id}, {"path", s.path}, {"state", fs::scan_state_name(s.state)},
                         {"model", s.model_id}, {"raw_bytes", s.raw_bytes}, {"stored_bytes", s.stored_bytes},
                         {"blocks", s.blocks}, {"committed_at", s.committed_at}});
        } else {
          double ratio = s.stored_bytes ? double(s.raw_bytes) / double(s.stored_bytes) : 0.0;
          fmt::print("{:>6}  {:<11} {:>14} -> {:>14}  ({:.2f}x)  {}\n", s.id, fs::scan_state_name(s.state), s.raw_bytes,
                     s.stored_bytes, ratio, s.path);
        }
      }
    } else {
      for (const auto& f : store->list_dir(opts->path)) {
        if (opts->json) out.push_back(file_json(f));
        else fmt::print("{:>12}  scan {:<6} {}\n", f.size, f.scan_id, f.path);
      }
    }
    if (opts->json) fmt::print("{}\n", out.dump(2));
  });

  auto* st = app.add_subcommand("stat", "show one compressed file's record");
  add_common(st, *opts);
  st->add_option("file", opts->path, "file relative to the mount source")->required();
  st->callback([opts] {
    auto store = open_ro(opts->store);
    auto f = store->get_file(opts->path);
    if (!f) fail(Errc::not_found, "{} is not a compressed file in the store {}", opts->path, opts->store);
    if (opts->json) {
      fmt::print("{}\n", file_json(*f).dump(2));
      return;
    }
    fmt::print("path      {}\nsize      {}\nscan      {}\ninode     {}\nmode      {:o}\nuid/gid   {}/{}\n"
               "mtime     {}.{:09}\nchecksum  {:016x} (XXH3-64 of the original)\nentry     {} bytes\n",
               f->path, f->size, f->scan_id, f->ino, f->mode, f->uid, f->gid, f->mtime.sec, f->mtime.nsec, f->checksum,
               f->codec_entry.size());
  });

  auto* models = app.add_subcommand("models", "list the store's models: kind, version, provenance, scans using each");
  add_common(models, *opts);
  models->callback([opts] {
    auto store = open_ro(opts->store);
    const std::optional<uint64_t> current = store->current_model();
    std::map<uint64_t, std::vector<std::string>> users;  // model id -> scan paths coded with it
    for (const auto& s : store->list_scans())
      if (s.model_id) users[s.model_id].push_back(s.path);
    json out = json::array();
    for (const auto& m : store->list_models()) {
      json prov = json::parse(m.provenance_json, nullptr, false);
      if (!prov.is_object()) prov = json::object();
      std::string kind = prov.value("kind", std::string());
      if (kind.empty()) {
        try {
          kind = codec::model_kind_name(fs::stored_model_kind(m));
        } catch (const Error&) {
          kind = "?";
        }
      }
      const uint32_t version = prov.value("version", 0u);
      const bool is_current = current == m.id;
      const auto& scans = users[m.id];
      if (opts->json) {
        out.push_back({{"id", m.id}, {"kind", kind}, {"version", version}, {"current", is_current},
                       {"refcount", m.refcount}, {"scans", scans}, {"params_bytes", m.params.size()},
                       {"created_at", m.created_at},
                       {"provenance", prov.empty() ? json(m.provenance_json) : prov}});
      } else {
        fmt::print("{:>6}{} {:<5} {:<4} used by {:>4} scans  {:>9} bytes  {}  {}\n", m.id, is_current ? "*" : " ", kind,
                   version ? fmt::format("v{}", version) : "-", m.refcount, m.params.size(), when(m.created_at),
                   m.provenance_json);
        for (const auto& p : scans) fmt::print("{:>14}{}\n", "", p);
      }
    }
    if (opts->json) fmt::print("{}\n", out.dump(2));  // an array, as before; "current" marks the current model
    else fmt::print("current model for new scans: {}\n", current ? fmt::format("{} (marked *)", *current) : "none (lms)");
  });

  auto* check = app.add_subcommand("check", "verify the store: records, indexes, refcounts, block checksums");
  add_common(check, *opts);
  check->callback([opts] {
    auto store = open_ro(opts->store);
    fs::CheckReport rep = store->check();
    if (opts->json) {
      fmt::print("{}\n", json{{"ok", rep.ok()}, {"scans", rep.scans}, {"files", rep.files}, {"models", rep.models},
                              {"blocks", rep.blocks}, {"block_bytes", rep.block_bytes}, {"problems", rep.problems},
                              {"notes", rep.notes}}
                             .dump(2));
    } else {
      for (const auto& n : rep.notes) fmt::print("note: {}\n", n);
      for (const auto& p : rep.problems) fmt::print("problem: {}\n", p);
      fmt::print("{}: {} scans, {} files, {} models, {} blocks ({} bytes), {} problems\n",
                 rep.ok() ? "ok" : "DAMAGED", rep.scans, rep.files, rep.models, rep.blocks, rep.block_bytes,
                 rep.problems.size());
    }
    if (!rep.ok()) exit_code() = 1;
  });
});

}  // namespace
}  // namespace srsfs::admin
