// srsfs-fsbench: the mount's throughput and latency against plain files, in one run (method printed with the
// table). Needs root or fusermount3, and a built mount.srsfs beside it (or --mount).
#include <fcntl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "codec/error.h"
#include "codec/synth_scan.h"
#include "fs/compressed_view.h"
#include "tools/fsbench/mount_child.h"

namespace fsys = std::filesystem;
using Clock = std::chrono::steady_clock;
using srsfs::fsbench::MountChild;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<fsys::path> files_of(const fsys::path& dir) {
  std::vector<fsys::path> out;
  for (const auto& e : fsys::directory_iterator(dir))
    if (e.is_regular_file()) out.push_back(e.path().filename());
  std::sort(out.begin(), out.end());
  return out;
}

// Reads a file whole in 1 MiB requests; returns its size.
uint64_t read_all(const fsys::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) srsfs::fail(srsfs::Errc::io, "open {}: {}", p.string(), std::strerror(errno));
  static thread_local std::vector<char> buf(1 << 20);
  uint64_t n = 0;
  for (;;) {
    ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0) srsfs::fail(srsfs::Errc::io, "read {}: {}", p.string(), std::strerror(errno));
    if (r == 0) break;
    n += uint64_t(r);
  }
  ::close(fd);
  return n;
}

// MB/s (10^6 bytes) of reading every file of dir in name order.
double sequential_read(const fsys::path& dir, const std::vector<fsys::path>& names) {
  auto t = Clock::now();
  uint64_t bytes = 0;
  for (const auto& n : names) bytes += read_all(dir / n);
  return double(bytes) / 1e6 / seconds_since(t);
}

void copy_through(const fsys::path& from, const fsys::path& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (in < 0 || out < 0) srsfs::fail(srsfs::Errc::io, "copy {} -> {}: {}", from.string(), to.string(), std::strerror(errno));
  std::vector<char> buf(1 << 20);
  for (ssize_t r; (r = ::read(in, buf.data(), buf.size())) > 0;)
    if (::write(out, buf.data(), size_t(r)) != r) srsfs::fail(srsfs::Errc::io, "write {}", to.string());
  ::close(in);
  if (::close(out) != 0) srsfs::fail(srsfs::Errc::io, "close {}", to.string());
}

std::string xattr(const fsys::path& p, const char* name) {
  char buf[4096];
  ssize_t n = ::getxattr(p.c_str(), name, buf, sizeof buf);
  return n < 0 ? std::string() : std::string(buf, size_t(n));
}

// Requests the compression of a scan through the mount and waits until it reads "compressed"; seconds taken.
double compress_and_wait(const fsys::path& scan) {
  const auto t = Clock::now();
  if (::setxattr(scan.c_str(), srsfs::fs::kXattrCompress, "1", 1, 0) != 0)
    srsfs::fail(srsfs::Errc::io, "setxattr: {}", std::strerror(errno));
  std::string state;
  while (!(state = xattr(scan, srsfs::fs::kXattrState)).starts_with("compressed")) {
    if (state.starts_with("failed")) srsfs::fail(srsfs::Errc::io, "compression {}", state);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return seconds_since(t);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Args {
  uint32_t size = 2048, frames = 64, samples = 5;
  uint32_t large = 0;  // > 0: the large-frame table instead (frames of large x large)
  std::string dir, mount_bin;
  bool keep = false;
};

// The first `n` bytes of p (fewer at its end).
std::vector<char> read_head(const fsys::path& p, size_t n) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) srsfs::fail(srsfs::Errc::io, "open {}: {}", p.string(), std::strerror(errno));
  std::vector<char> buf(n);
  ssize_t r = ::read(fd, buf.data(), n);
  ::close(fd);
  if (r < 0) srsfs::fail(srsfs::Errc::io, "read {}: {}", p.string(), std::strerror(errno));
  buf.resize(size_t(r));
  return buf;
}

std::string read_whole(const fsys::path& p) {
  std::string out(fsys::file_size(p), '\0');
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) srsfs::fail(srsfs::Errc::io, "open {}: {}", p.string(), std::strerror(errno));
  size_t done = 0;
  for (ssize_t r; done < out.size() && (r = ::read(fd, out.data() + done, std::min<size_t>(1 << 20, out.size() - done))) > 0;)
    done += size_t(r);
  ::close(fd);
  out.resize(done);
  return out;
}

// Large frames (issue 16): 17 frames of large x large in one group; frame 15, near the group's end, read cold
// by a fresh daemon: its first 128 KiB (a header reader), then the whole frame; the daemon's peak RSS.
int run_large(const Args& a, const fsys::path& bin, const fsys::path& work) {
  const fsys::path plain = work / "plain", source = work / "source", mnt = work / "mnt", log = work / "daemon.log";
  fsys::remove_all(source);
  fsys::remove_all(plain);
  fsys::create_directories(source);
  fsys::create_directories(mnt);
  srsfs::codec::SynthOptions so;
  so.width = so.height = a.large;
  so.frames = 17;
  so.seed = 4;
  auto t = Clock::now();
  srsfs::codec::write_synth_scan(plain, so);
  const auto names = files_of(plain);
  const std::string frame = "frame_00015.tif";
  const std::string want = read_whole(plain / frame);
  std::fprintf(stderr, "generated 17 frames %ux%u in %.1f s\n", a.large, a.large, seconds_since(t));
  double compress_s = 0;
  std::string ratio;
  {
    MountChild m(bin, source, mnt, log, {"-o", "complete_marker=,complete_idle=0"});
    fsys::create_directories(mnt / "scan");
    for (const auto& n : names) copy_through(plain / n, mnt / "scan" / n);
    compress_s = compress_and_wait(mnt / "scan");
    ratio = xattr(mnt / "scan", srsfs::fs::kXattrRatio);
  }
  struct Row {
    std::string cache;
    double head_ms = 0, whole_s = 0, rss_mb = 0, anon_mb = 0;
    bool identical = false;
  };
  std::vector<Row> rows;
  bool dropped = true;
  for (const char* cache : {"", "256M"}) {
    Row r;
    r.cache = *cache ? cache : "default (1G)";
    std::vector<std::string> opts{"-o", std::string("complete_marker=,complete_idle=0") + (*cache ? std::string(",cache_size=") + cache : "")};
    dropped = srsfs::fsbench::drop_page_cache() && dropped;
    {
      MountChild m(bin, source, mnt, log, opts);
      t = Clock::now();
      auto head = read_head(mnt / "scan" / frame, 128 * 1024);
      r.head_ms = seconds_since(t) * 1e3;
      if (head.size() != 128 * 1024 || !std::equal(head.begin(), head.end(), want.begin()))
        srsfs::fail(srsfs::Errc::corrupt, "the first 128 KiB of {} differ", frame);
    }
    dropped = srsfs::fsbench::drop_page_cache() && dropped;
    {
      MountChild m(bin, source, mnt, log, opts);
      t = Clock::now();
      r.identical = read_whole(mnt / "scan" / frame) == want;
      r.whole_s = seconds_since(t);
      r.rss_mb = double(m.proc_status_bytes("VmHWM")) / 1e6;
      r.anon_mb = double(m.proc_status_bytes("RssAnon")) / 1e6;
    }
    rows.push_back(r);
  }
  srsfs::fsbench::drop_page_cache();
  t = Clock::now();
  read_head(plain / frame, 128 * 1024);
  const double plain_head_ms = seconds_since(t) * 1e3;
  srsfs::fsbench::drop_page_cache();
  t = Clock::now();
  read_whole(plain / frame);
  const double plain_whole_s = seconds_since(t);

  std::printf("srsfs-fsbench --large: 17 frames %ux%u (%.1f MB a frame), stored/raw %s, compressed in %.1f s, %u cores\n",
              a.large, a.large, double(want.size()) / 1e6, ratio.c_str(), compress_s, std::thread::hardware_concurrency());
  std::printf("| %-30s | %13s | %12s | %15s | %13s | %9s |\n", "read of frame 15, cold", "first 128 KiB", "whole frame",
              "peak daemon RSS", "private after", "identical");
  std::printf("|%s|%s|%s|%s|%s|%s|\n", std::string(32, '-').c_str(), std::string(15, '-').c_str(), std::string(14, '-').c_str(),
              std::string(17, '-').c_str(), std::string(15, '-').c_str(), std::string(11, '-').c_str());
  for (const auto& r : rows)
    std::printf("| %-30s | %10.0f ms | %10.1f s | %12.0f MB | %10.0f MB | %9s |\n", ("srsfs, cache " + r.cache).c_str(),
                r.head_ms, r.whole_s, r.rss_mb, r.anon_mb, r.identical ? "yes" : "NO");
  std::printf("| %-30s | %10.1f ms | %10.2f s | %15s | %13s | %9s |\n", "plain dir", plain_head_ms, plain_whole_s, "-", "-", "-");
  std::printf(
      "Method: the scan (codec::write_synth_scan, seed 4) is copied through a mount and compressed on request\n"
      "(default options: groups of 16 frames, so frame 15 ends group 0). Each figure is from a freshly started daemon with an empty\n"
      "cache%s: \"first 128 KiB\" is open + one read() of 128 KiB; \"whole frame\" is open + read() in 1 MiB calls\n"
      "to the end, compared byte for byte with the original; peak RSS is the daemon's VmHWM after that read\n"
      "(it counts the store's pages LMDB maps as they are read: ~the stored group), private its RssAnon then.\n"
      "Frame 15 of a group needs frames 0..15 of every band it touches decoded first.\n",
      dropped ? " and the page cache dropped" : " (the page cache could NOT be dropped)");
  for (const auto& r : rows)
    if (!r.identical) return 1;
  return 0;
}

int run(const Args& a) {
  const fsys::path bin = a.mount_bin.empty() ? fsys::canonical("/proc/self/exe").parent_path() / "mount.srsfs" : fsys::path(a.mount_bin);
  if (!fsys::exists(bin)) srsfs::fail(srsfs::Errc::not_found, "{} not found (build mount.srsfs or pass --mount)", bin.string());
  const fsys::path work = a.dir.empty() ? fsys::temp_directory_path() / fmt::format("srsfs-fsbench-{}", ::getpid()) : fsys::path(a.dir);
  const fsys::path plain = work / "plain", source = work / "source", mnt = work / "mnt", log = work / "daemon.log";
  fsys::remove_all(source);
  fsys::remove_all(plain);
  fsys::create_directories(source);
  fsys::create_directories(mnt);
  if (a.large) {
    const int rc = run_large(a, bin, work);
    if (!a.keep) fsys::remove_all(work);
    return rc;
  }
  const std::vector<std::string> opts{"-o", "complete_marker=,complete_idle=0"};

  // 1. The scan, as plain files.
  srsfs::codec::SynthOptions so;
  so.width = so.height = a.size;
  so.frames = a.frames;
  auto t = Clock::now();
  srsfs::codec::write_synth_scan(plain, so);
  std::fprintf(stderr, "generated %u frames %ux%u in %.1f s\n", a.frames, a.size, a.size, seconds_since(t));
  const auto names = files_of(plain);
  uint64_t raw_bytes = 0;
  for (const auto& n : names) raw_bytes += fsys::file_size(plain / n);

  double write_mbs = 0, compress_mbs = 0, compress_s = 0;
  std::string ratio;
  {
    MountChild m(bin, source, mnt, log, opts);
    // 2. Written through the mount.
    fsys::create_directories(mnt / "scan");
    t = Clock::now();
    for (const auto& n : names) copy_through(plain / n, mnt / "scan" / n);
    write_mbs = double(raw_bytes) / 1e6 / seconds_since(t);
    // 3. Compressed by the background worker: request to "compressed" (encode, verify, commit, release).
    compress_s = compress_and_wait(mnt / "scan");
    compress_mbs = double(raw_bytes) / 1e6 / compress_s;
    ratio = xattr(mnt / "scan", srsfs::fs::kXattrRatio);
  }
  std::fprintf(stderr, "written and compressed\n");

  // 4. Sequential reads: cold (fresh daemon, page cache dropped if permitted), then warm.
  const bool dropped = srsfs::fsbench::drop_page_cache();
  double mnt_cold = 0, mnt_warm = 0, plain_cold = 0, plain_warm = 0;
  {
    MountChild m(bin, source, mnt, log, opts);
    mnt_cold = sequential_read(mnt / "scan", names);
    mnt_warm = sequential_read(mnt / "scan", names);
  }
  srsfs::fsbench::drop_page_cache();
  plain_cold = sequential_read(plain, names);
  plain_warm = sequential_read(plain, names);

  // 5. One random frame, cold: a fresh daemon (and page cache) for every sample.
  std::mt19937 rng(1234);
  std::vector<double> mnt_lat, plain_lat;
  for (uint32_t i = 0; i < a.samples; ++i) {
    const fsys::path frame = names[rng() % a.frames];  // frame_NNNNN.tif sort first
    srsfs::fsbench::drop_page_cache();
    {
      MountChild m(bin, source, mnt, log, opts);
      t = Clock::now();
      read_all(mnt / "scan" / frame);
      mnt_lat.push_back(seconds_since(t) * 1e3);
    }
    srsfs::fsbench::drop_page_cache();
    t = Clock::now();
    read_all(plain / frame);
    plain_lat.push_back(seconds_since(t) * 1e3);
  }

  const double frame_mb = double(raw_bytes) / 1e6 / double(names.size());
  std::printf("srsfs-fsbench: %u frames %ux%u (%.1f MB raw, %zu files), stored/raw %s, %u cores\n", a.frames, a.size,
              a.size, double(raw_bytes) / 1e6, names.size(), ratio.c_str(), std::thread::hardware_concurrency());
  std::printf("| %-44s | %14s | %14s |\n", "measurement", "srsfs mount", "plain dir");
  std::printf("|%s|%s|%s|\n", std::string(46, '-').c_str(), std::string(16, '-').c_str(), std::string(16, '-').c_str());
  std::printf("| %-44s | %9.1f MB/s | %14s |\n", "write through the mount", write_mbs, "-");
  std::printf("| %-44s | %9.1f MB/s | %14s |\n", "background compression (request->compressed)", compress_mbs, "-");
  std::printf("| %-44s | %9.1f MB/s | %9.1f MB/s |\n", "sequential read, cold", mnt_cold, plain_cold);
  std::printf("| %-44s | %9.1f MB/s | %9.1f MB/s |\n", "sequential read, warm", mnt_warm, plain_warm);
  std::printf("| %-44s | %11.1f ms | %11.1f ms |\n",
              fmt::format("one random frame ({:.1f} MB), cold, median of {}", frame_mb, a.samples).c_str(),
              median(mnt_lat), median(plain_lat));
  std::printf("| %-44s | %11.1f ms | %11.1f ms |\n", "  (max)", *std::max_element(mnt_lat.begin(), mnt_lat.end()),
              *std::max_element(plain_lat.begin(), plain_lat.end()));
  std::printf(
      "Method: the scan is generated as plain files (codec::write_synth_scan), copied through a fresh mount\n"
      "(1 MiB writes), then compression is requested (user.srsfs.compress) and timed until user.srsfs.state\n"
      "reads \"compressed\" (%.1f s: encode, verify by decoding, commit, release); MB/s = raw bytes / time.\n"
      "Reads: every file in name order, 1 MiB read() calls. Cold = a freshly started daemon (empty block cache)%s;\n"
      "warm = the same files read again at once (srsfs: decoded-block cache and the kernel page cache, which\n"
      "compressed files keep across opens). Random frame: open + read whole + close of one frame, a fresh\n"
      "daemon per sample. MB = 10^6 bytes.\n",
      compress_s,
      dropped ? " and the page cache dropped (echo 3 > /proc/sys/vm/drop_caches)"
              : "; the page cache could NOT be dropped (no permission), so SOURCE/store/plain files may be cached");
  if (!a.keep) fsys::remove_all(work);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"srsfs-fsbench: read/write/compress throughput of a srsfs mount against plain files"};
  Args a;
  app.add_option("--size", a.size, "square frame size (default 2048)")->check(CLI::Range(16u, 16384u));
  app.add_option("--frames", a.frames, "frames in the scan (default 64)")->check(CLI::Range(1u, 100000u));
  app.add_option("--dir", a.dir, "work directory (default: a new one under $TMPDIR, removed afterwards)");
  app.add_option("--samples", a.samples, "cold random-frame samples (default 5)")->check(CLI::Range(1u, 1000u));
  app.add_option("--mount", a.mount_bin, "mount.srsfs to run (default: beside this program)");
  app.add_flag("--keep", a.keep, "keep the work directory");
  app.add_option("--large", a.large, "instead: the large-frame table, 17 frames of this size (e.g. 6144)")
      ->check(CLI::Range(256u, 16384u));
  CLI11_PARSE(app, argc, argv);
  try {
    return run(a);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "srsfs-fsbench: %s\n", e.what());
    return 1;
  }
}
