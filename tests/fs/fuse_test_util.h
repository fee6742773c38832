// Shared by the tests/fs/fuse_*_test.cpp files: fakes of the compressed side and an in-process mount.
// MountedFs serves the filesystem on a background thread and always unmounts (lazily) in its destructor.
#pragma once
#include <fcntl.h>
#include <grp.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "codec/error.h"
#include "fs/compressed_view.h"
#include "fs/fuse_filesystem.h"
#include "fs/fuse_session.h"
#include "fs/scan_monitor.h"
#include "tests/test_paths.h"

namespace srsfs::fs::test {

namespace stdfs = std::filesystem;
using srsfs::test::TempDir;

// Empty when a FUSE mount can be made here; otherwise why not.
inline std::string fuse_unavailable_reason() {
  int fd = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::string("/dev/fuse cannot be opened: ") + std::strerror(errno);
  ::close(fd);
  if (::geteuid() != 0 && ::access("/usr/bin/fusermount3", X_OK) != 0) return "not root and no fusermount3";
  return {};
}

#define SRSFS_REQUIRE_FUSE()                                                        \
  do {                                                                              \
    std::string why_ = ::srsfs::fs::test::fuse_unavailable_reason();                \
    if (!why_.empty()) GTEST_SKIP() << "FUSE unavailable, skipping: " << why_;      \
  } while (0)

inline std::vector<uint8_t> pattern_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = uint8_t(x);
  }
  return v;
}

inline void write_file(const stdfs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary);
  f << s;
}

inline std::string read_file(const stdfs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A CompressedView over an in-memory map; records what reached it.
class FakeView final : public CompressedView {
 public:
  struct File {
    struct stat st {};
    std::vector<uint8_t> data;
  };

  // Adds rel (e.g. "scan/frame_0.tif") with the given bytes; st_ino = ino, st_mode = mode.
  void add(const std::string& rel, std::vector<uint8_t> data, uint64_t ino, mode_t mode = S_IFREG | 0644) {
    std::lock_guard lock(mu);
    File f;
    f.st.st_mode = mode;
    f.st.st_ino = ino;
    f.st.st_nlink = 1;
    f.st.st_uid = 1234;
    f.st.st_gid = 5678;
    f.st.st_size = off_t(data.size());
    f.st.st_blksize = 4096;
    f.st.st_blocks = (off_t(data.size()) + 511) / 512;
    f.st.st_mtim = {1600000000, 123456789};
    f.st.st_atim = {1600000001, 0};
    f.st.st_ctim = {1600000002, 0};
    f.data = std::move(data);
    files[rel] = std::move(f);
  }

  std::optional<CompressedEntry> lookup(const std::string& dir, const std::string& name) override {
    std::lock_guard lock(mu);
    auto it = files.find(join(dir, name));
    if (it == files.end()) return std::nullopt;
    return CompressedEntry{name, it->second.st};
  }
  std::vector<CompressedEntry> list(const std::string& dir) override {
    std::lock_guard lock(mu);
    std::vector<CompressedEntry> out;
    for (const auto& [rel, f] : files) {
      auto slash = rel.rfind('/');
      std::string d = slash == std::string::npos ? "" : rel.substr(0, slash);
      if (d == dir) out.push_back({rel.substr(slash == std::string::npos ? 0 : slash + 1), f.st});
    }
    return out;
  }
  size_t read(const std::string& rel, uint64_t off, std::span<uint8_t> out) override { return read(*open(rel), off, out); }
  // The bytes as they were at open: the file keeps them whatever happens to its name.
  struct Opened final : OpenedFile {
    std::vector<uint8_t> data;
  };
  std::shared_ptr<const OpenedFile> open(const std::string& rel) override {
    std::lock_guard lock(mu);
    auto it = files.find(rel);
    if (it == files.end()) fail(Errc::not_found, "no compressed file {}", rel);
    auto o = std::make_shared<Opened>();
    o->data = it->second.data;
    return o;
  }
  size_t read(const OpenedFile& f, uint64_t off, std::span<uint8_t> out) override {
    reads.fetch_add(1);
    const auto& d = static_cast<const Opened&>(f).data;
    if (off >= d.size()) return 0;
    size_t n = std::min(out.size(), size_t(d.size() - off));
    std::memcpy(out.data(), d.data() + off, n);
    return n;
  }
  void unlink(const std::string& rel) override {
    std::lock_guard lock(mu);
    if (!files.erase(rel)) fail(Errc::not_found, "no compressed file {}", rel);
    unlinked.push_back(rel);
  }
  void rename(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu);
    auto node = files.extract(from);
    if (node.empty()) fail(Errc::not_found, "no compressed file {}", from);
    files.erase(to);
    node.key() = to;
    files.insert(std::move(node));
    renamed.emplace_back(from, to);
  }
  void rename_dir(const std::string& from, const std::string& to) override {
    std::lock_guard lock(mu);
    std::map<std::string, File> moved;
    for (auto it = files.begin(); it != files.end();) {
      if (it->first.starts_with(from + "/")) {
        moved[to + it->first.substr(from.size())] = std::move(it->second);
        it = files.erase(it);
      } else {
        ++it;
      }
    }
    files.merge(moved);
    dirs_renamed.emplace_back(from, to);
  }
  std::optional<std::string> getxattr(const std::string& rel, const std::string& name) override {
    std::lock_guard lock(mu);
    if (!files.count(rel)) return std::nullopt;
    if (name == "user.srsfs.codec") return "fake-codec";
    return std::nullopt;
  }

  std::mutex mu;
  std::map<std::string, File> files;
  std::vector<std::string> unlinked;
  std::vector<std::pair<std::string, std::string>> renamed, dirs_renamed;
  std::atomic<int> reads{0};

 private:
  static std::string join(const std::string& d, const std::string& n) { return d.empty() ? n : d + "/" + n; }
};

// A ScanSink that records completions.
class FakeSink final : public ScanSink {
 public:
  void scan_complete(const std::string& dir) override {
    {
      std::lock_guard lock(mu_);
      completed_.push_back(dir);
    }
    cv_.notify_all();
  }
  std::string scan_state(const std::string& dir) override { return "fake-state:" + dir; }

  bool wait_for(const std::string& dir, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_locked(dir) > 0; });
  }
  size_t count(const std::string& dir) {
    std::lock_guard lock(mu_);
    return count_locked(dir);
  }
  std::vector<std::string> completed() {
    std::lock_guard lock(mu_);
    return completed_;
  }

 private:
  size_t count_locked(const std::string& dir) const { return size_t(std::count(completed_.begin(), completed_.end(), dir)); }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> completed_;
};

struct MountSpec {
  ScanMonitorConfig monitor;
  bool store_inside_source = true;  // store = SOURCE/.srsfs (hidden), else a sibling directory
  double timeout_s = 0;             // no kernel caching: tests change SOURCE and the view behind the mount
  std::string options;              // more -o options, e.g. "allow_other,default_permissions"
  std::string source_name = "source";  // SOURCE's name beside "mnt": a longer one makes SOURCE's paths longer
};

// SOURCE and MOUNTPOINT in a fresh temporary directory; the filesystem served on a background thread.
class MountedFs {
 public:
  explicit MountedFs(MountSpec spec = {}) : source(tmp / spec.source_name), mnt(tmp / "mnt") {
    stdfs::create_directories(source);
    stdfs::create_directories(mnt);
    store = spec.store_inside_source ? source / kDefaultStoreName : tmp / "store";
    stdfs::create_directories(store);
    monitor = std::make_unique<ScanMonitor>(sink, spec.monitor);
    fs = std::make_unique<FuseFilesystem>(FilesystemConfig{source, store, spec.timeout_s}, view, *monitor);
    std::string opts = "fsname=srsfs-test" + (spec.options.empty() ? "" : "," + spec.options);
    session = std::make_unique<FuseSession>(*fs, std::vector<std::string>{"srsfs-test", "-o", opts}, mnt);
    loop = std::thread([this] {
      LoopOptions lo;
      lo.max_threads = 16;
      session->loop(lo);
      loop_done = true;
    });
    struct stat st {};
    if (::stat(mnt.c_str(), &st) == 0) mnt_dev = st.st_dev;
  }
  ~MountedFs() { unmount(); }
  MountedFs(const MountedFs&) = delete;
  MountedFs& operator=(const MountedFs&) = delete;

  void unmount() {
    if (!session) return;
    if (::umount2(mnt.c_str(), MNT_DETACH) != 0) {
      std::string cmd = "fusermount3 -uz '" + mnt.string() + "'";
      if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "could not unmount " << mnt;
    }
    // A descriptor left open into the mount keeps the connection alive after a lazy unmount: abort it.
    for (int i = 0; i < 1000 && !loop_done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!loop_done) {
      ADD_FAILURE() << "the FUSE loop did not end after unmounting; aborting the connection";
      std::system("mountpoint -q /sys/fs/fuse/connections || mount -t fusectl none /sys/fs/fuse/connections");
      std::ofstream(fmt::format("/sys/fs/fuse/connections/{}/abort", minor(mnt_dev))) << "1";
    }
    loop.join();
    session.reset();
    fs.reset();
    monitor.reset();
  }

  stdfs::path m(const std::string& rel) const { return mnt / rel; }
  stdfs::path s(const std::string& rel) const { return source / rel; }

  TempDir tmp;  // first: removed last, after the unmount
  stdfs::path source, mnt, store;
  FakeView view;
  FakeSink sink;
  std::unique_ptr<ScanMonitor> monitor;
  std::unique_ptr<FuseFilesystem> fs;
  std::unique_ptr<FuseSession> session;
  std::atomic<bool> loop_done{false};
  dev_t mnt_dev = 0;
  std::thread loop;
};

class FuseTest : public ::testing::Test {
 protected:
  virtual MountSpec spec() { return {}; }
  void SetUp() override {
    SRSFS_REQUIRE_FUSE();
    mfs = std::make_unique<MountedFs>(spec());
  }
  void TearDown() override { mfs.reset(); }
  std::unique_ptr<MountedFs> mfs;
};

// errno of a failing call, or 0 when it succeeded.
template <typename F>
int errno_of(F&& f) {
  errno = 0;
  return f() < 0 ? errno : 0;
}

// Runs f() in a child process whose user and group ids are all uid (no supplementary groups) and returns
// f's result (0..255), or -1 when the child could not become uid or did not exit normally. The child may
// only make plain system calls: the parent is multi-threaded (it serves the mount).
template <typename F>
int as_user(uid_t uid, F&& f) {
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (uid != 0 && (::setgroups(0, nullptr) != 0 || ::setresgid(uid, uid, uid) != 0 || ::setresuid(uid, uid, uid) != 0))
      ::_exit(255);
    ::_exit(f() & 0xff);
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 255) return -1;
  return WEXITSTATUS(status);
}

}  // namespace srsfs::fs::test
