// srsfs-admin compress / status: talk to a running mount.srsfs through its extended attributes
// (fs/compressed_view.h): user.srsfs.compress and user.srsfs.state on scan directories, user.srsfs.status on
// the mount root. They work for any user who can see the mount; no store access needed.
#include <sys/xattr.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "codec/error.h"
#include "fs/compressed_view.h"
#include "tools/admin/command.h"

namespace srsfs::admin {
namespace {

using nlohmann::json;

// The value of `name` on `path`; nullopt when it has none (ENODATA). Other errors throw.
std::optional<std::string> read_xattr(const std::string& path, const char* name) {
  for (int attempt = 0; attempt < 8; ++attempt) {  // the value may grow between the two calls
    ssize_t n = ::getxattr(path.c_str(), name, nullptr, 0);
    if (n < 0 && errno == ENODATA) return std::nullopt;
    if (n < 0) fail(Errc::io, "{}: cannot read {}: {}", path, name, std::strerror(errno));
    std::string v(size_t(n) + 256, '\0');
    n = ::getxattr(path.c_str(), name, v.data(), v.size());
    if (n < 0 && errno == ERANGE) continue;
    if (n < 0) fail(Errc::io, "{}: cannot read {}: {}", path, name, std::strerror(errno));
    v.resize(size_t(n));
    return v;
  }
  fail(Errc::io, "{}: {} keeps changing size", path, name);
}

// user.srsfs.state, which only an srsfs mount answers for a directory.
std::string state_of(const std::string& dir) {
  auto s = read_xattr(dir, fs::kXattrState);
  if (!s) fail(Errc::invalid_argument, "{} is not a directory on an srsfs mount (no {})", dir, fs::kXattrState);
  return *s;
}

struct CompressArgs {
  std::string path;
  bool wait = false;
  double timeout_s = 0;  // 0: no limit
};

// 0 compressed (or queued without --wait), 1 failed, 2 timed out.
int compress(const CompressArgs& a) {
  state_of(a.path);  // refuses a path outside srsfs before setting anything
  if (::setxattr(a.path.c_str(), fs::kXattrCompress, "1", 1, 0) != 0)
    fail(Errc::io, "{}: cannot request compression: {}", a.path, std::strerror(errno));
  if (!a.wait) {
    fmt::print("{}: {}\n", a.path, state_of(a.path));
    return 0;
  }
  const auto start = std::chrono::steady_clock::now();
  std::string last;
  for (;;) {
    std::string s = state_of(a.path);
    if (s != last && !s.starts_with("compressing")) fmt::print(stderr, "{}: {}\n", a.path, s);
    last = s;
    if (s.starts_with("compressed")) {
      auto ratio = read_xattr(a.path, fs::kXattrRatio);
      fmt::print("{}: compressed{}\n", a.path, ratio ? fmt::format(" (stored/raw {})", *ratio) : "");
      return 0;
    }
    if (s.starts_with("failed")) {
      fmt::print(stderr, "srsfs-admin: {}: {}\n", a.path, s);
      return 1;
    }
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (a.timeout_s > 0 && waited >= a.timeout_s) {
      fmt::print(stderr, "srsfs-admin: {}: still {} after {:.0f} s\n", a.path, s, waited);
      return 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) {
    b /= 1024;
    ++u;
  }
  return u ? fmt::format("{:.1f} {}", b, units[u]) : fmt::format("{:.0f} B", b);
}

void print_status(const json& s) {
  const auto& t = s.at("totals");
  fmt::print("source  {}\nstore   {}\n", s.value("source", "?"), s.value("store", "?"));
  fmt::print("queue   {} waiting, {} compressing\n", s.value("queue_length", 0), s.value("compressing", 0));
  fmt::print("stored  {} scans: {} -> {} (stored/raw {:.4f})\n\n", t.value("compressed_scans", 0),
             human_bytes(t.value("raw_bytes", 0.0)), human_bytes(t.value("stored_bytes", 0.0)), t.value("ratio", 0.0));
  fmt::print("{:<12} {:>12} {:>12} {:>8}  {}\n", "STATE", "RAW", "STORED", "RATIO", "SCAN");
  for (const auto& sc : s.at("scans")) {
    std::string state = sc.value("state", "?");
    if (sc.contains("progress")) state += fmt::format(" {:.0f}%", 100 * sc["progress"].get<double>());
    fmt::print("{:<12} {:>12} {:>12} {:>8.4f}  {}{}\n", state, human_bytes(sc.value("raw_bytes", 0.0)),
               human_bytes(sc.value("stored_bytes", 0.0)), sc.value("ratio", 0.0), sc.value("path", "?"),
               sc.contains("error") ? "  (" + sc["error"].get<std::string>() + ")" : "");
  }
  if (s.value("scans_omitted", 0) > 0) fmt::print("... and {} more compressed scans\n", s["scans_omitted"].get<int>());
  const auto& c = s.at("cache");
  fmt::print("\ncache   {} of {} in {} pieces; hits {} misses {} (hit rate {:.1f}%); evictions {}; decoded {} in "
             "{:.2f} s, {} loads\n",
             human_bytes(c.value("bytes", 0.0)), human_bytes(c.value("capacity_bytes", 0.0)), c.value("entries", 0),
             c.value("hits", 0), c.value("misses", 0), 100 * c.value("hit_rate", 0.0), c.value("evictions", 0),
             human_bytes(c.value("decoded_bytes", 0.0)), c.value("decode_seconds", 0.0), c.value("loads", 0));
  if (c.contains("warnings"))
    for (const auto& w : c["warnings"]) fmt::print("warning {}\n", w.get<std::string>());
}

int status(const std::string& mountpoint, bool as_json) {
  auto v = read_xattr(mountpoint, fs::kXattrStatus);
  if (!v) fail(Errc::invalid_argument, "{} is not the root of an srsfs mount (no {})", mountpoint, fs::kXattrStatus);
  json doc = json::parse(*v, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("scans"))
    fail(Errc::corrupt, "{}: {} is not a status document", mountpoint, fs::kXattrStatus);
  if (as_json) {
    fmt::print("{}\n", doc.dump(2));
  } else {
    print_status(doc);
  }
  return 0;
}

Register reg([](CLI::App& app) {
  auto ca = std::make_shared<CompressArgs>();
  auto* c = app.add_subcommand("compress", "Compress a scan directory of a mount now (sets user.srsfs.compress)");
  c->add_option("PATH", ca->path, "scan directory, through the mount")->required();
  c->add_flag("--wait", ca->wait, "wait until compressed (exit 0) or failed (exit 1)");
  c->add_option("--timeout", ca->timeout_s, "with --wait: give up after S seconds (exit 2); default: no limit")
      ->check(CLI::NonNegativeNumber);
  c->callback([ca] { exit_code() = compress(*ca); });

  auto mp = std::make_shared<std::string>();
  auto js = std::make_shared<bool>(false);
  auto* s = app.add_subcommand("status", "Scans, queue and cache of a running mount (reads user.srsfs.status)");
  s->add_option("MOUNTPOINT", *mp, "the mount's root")->required();
  s->add_flag("--json", *js, "the daemon's JSON document, as is");
  s->callback([mp, js] { exit_code() = status(*mp, *js); });
});

}  // namespace
}  // namespace srsfs::admin
