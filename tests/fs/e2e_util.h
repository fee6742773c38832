// Shared by tests/fs/e2e_*_test.cpp: the built mount.srsfs (the real store, compressor and cache) run as a
// child process with -f on a temporary SOURCE. A Daemon always unmounts in its destructor, or, when the child
// died or was killed, detaches its dead mount, so no test leaves a mount behind.
#pragma once
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <functional>
#include <optional>
#include <random>

#include "codec/synth_scan.h"
#include "fs/child_process.h"
#include "fs/store.h"
#include "tests/fs/fuse_test_util.h"

namespace srsfs::fs::e2e {

namespace stdfs = std::filesystem;
using namespace std::chrono_literals;
using srsfs::test::TempDir;
using test::read_file;
using test::write_file;

inline stdfs::path mount_binary() { return srsfs::test::bin_dir() / "mount.srsfs"; }
inline stdfs::path admin_binary() { return srsfs::test::bin_dir() / "srsfs-admin"; }

#define SRSFS_REQUIRE_E2E()                                                                               \
  do {                                                                                                    \
    SRSFS_REQUIRE_FUSE();                                                                                 \
    if (!stdfs::exists(::srsfs::fs::e2e::mount_binary()))                                                 \
      GTEST_SKIP() << "build the mount.srsfs target first: " << ::srsfs::fs::e2e::mount_binary();         \
  } while (0)

inline bool poll_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds every = 20ms) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(every);
  }
  return cond();
}

// An attribute's value, or nullopt (errno set).
inline std::optional<std::string> get_xattr(const stdfs::path& p, const char* name) {
  std::string buf(64 * 1024, '\0');
  ssize_t n = ::getxattr(p.c_str(), name, buf.data(), buf.size());
  if (n < 0) return std::nullopt;
  buf.resize(size_t(n));
  return buf;
}

// mount.srsfs SOURCE MNT -f [args...] as a child process; its stdout and stderr go to `log`.
class Daemon {
 public:
  Daemon(stdfs::path source, stdfs::path mnt, stdfs::path log_path, std::vector<std::string> args = {},
         std::vector<std::string> env = {})
      : mnt_(std::move(mnt)), log_(std::move(log_path)) {
    std::vector<std::string> argv{mount_binary().string(), source.string(), mnt_.string(), "-f"};
    argv.insert(argv.end(), args.begin(), args.end());
    // The test's own SRSFS_TEST_ hooks are not passed on; the caller's `env` is.
    std::vector<std::string> envv = current_environment("SRSFS_TEST_");
    envv.insert(envv.begin(), env.begin(), env.end());
    try {
      pid_ = spawn_process(argv, envv, log_);
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      return;
    }
    if (!poll_until([&] { return is_mounted(mnt_) || exited(); }, 20s) || !is_mounted(mnt_))
      ADD_FAILURE() << "mount did not appear on " << mnt_ << "\n" << log();
  }
  ~Daemon() {
    if (pid_ > 0 && stop() != 0) ADD_FAILURE() << "mount.srsfs did not stop cleanly\n" << log();
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  bool ok() const { return pid_ > 0 && is_mounted(mnt_); }
  // Unmounts (as `fusermount3 -u` would) and returns the daemon's exit status (-1: it had to be killed).
  int stop() {
    if (pid_ <= 0) return -1;
    if (::umount2(mnt_.c_str(), 0) != 0) ::umount2(mnt_.c_str(), MNT_DETACH);
    return wait_exit(30s);
  }
  // kill -TERM, as systemd stops the service; returns the exit status (-1: it had to be killed after 30 s).
  int terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    const int status = wait_exit(30s);
    if (is_mounted(mnt_)) ::umount2(mnt_.c_str(), MNT_DETACH);
    return status;
  }
  // kill -9: the mount stays behind, dead (ENOTCONN), until detached here.
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    ::umount2(mnt_.c_str(), MNT_DETACH);
  }
  std::string log() const { return "--- mount.srsfs log ---\n" + read_file(log_); }

 private:
  bool exited() {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    ::umount2(mnt_.c_str(), MNT_DETACH);  // it died: never leave its dead mount behind
    return true;
  }
  int wait_exit(std::chrono::milliseconds timeout) {
    const int status = fs::wait_exit(pid_, timeout);
    pid_ = -1;
    return status;
  }
  stdfs::path mnt_, log_;
  pid_t pid_ = -1;
};

// What a user sees of one file.
struct FileView {
  std::string bytes;
  off_t size = 0;
  mode_t mode = 0;
  ino_t ino = 0;
  struct timespec mtime {};
};
using TreeView = std::map<std::string, FileView>;

// Every regular file below dir (recursive), read whole.
inline TreeView snapshot(const stdfs::path& dir) {
  TreeView out;
  for (const auto& e : stdfs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0) {
      ADD_FAILURE() << "stat " << e.path() << ": " << std::strerror(errno);
      continue;
    }
    FileView v;
    v.bytes = read_file(e.path());
    v.size = st.st_size;
    v.mode = st.st_mode;
    v.ino = st.st_ino;
    v.mtime = st.st_mtim;
    out[e.path().lexically_relative(dir).generic_string()] = std::move(v);
  }
  return out;
}

// Bytes and stat (size, mode, st_ino, mtime) of every file agree. check_ino = false: see
// SecondScanMayGetNewInodeNumbers in e2e_concurrency_test.cpp.
inline void expect_same(const TreeView& want, const TreeView& got, const std::string& when, bool check_ino = true) {
  EXPECT_EQ(want.size(), got.size()) << when;
  for (const auto& [rel, w] : want) {
    auto it = got.find(rel);
    if (it == got.end()) {
      ADD_FAILURE() << when << ": " << rel << " is missing";
      continue;
    }
    const FileView& g = it->second;
    EXPECT_TRUE(w.bytes == g.bytes) << when << ": " << rel << " differs (" << w.bytes.size() << " vs " << g.bytes.size()
                                    << " bytes)";
    EXPECT_EQ(w.size, g.size) << when << ": " << rel;
    EXPECT_EQ(w.mode, g.mode) << when << ": " << rel;
    if (check_ino) {
      EXPECT_EQ(w.ino, g.ino) << when << ": " << rel << " st_ino changed";
    }
    EXPECT_EQ(w.mtime.tv_sec, g.mtime.tv_sec) << when << ": " << rel;
    EXPECT_EQ(w.mtime.tv_nsec, g.mtime.tv_nsec) << when << ": " << rel;
  }
}

// Regular files left in SOURCE below dir. Tests poll this while the daemon releases files, so a file may go
// between the listing and the look at it: names are made lexically (std::filesystem::relative canonicalises,
// and fails on a file that just went), and a vanished entry is simply not counted.
inline std::vector<std::string> raw_files(const stdfs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (stdfs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) out.push_back(it->path().lexically_relative(dir).generic_string());
  }
  if (ec && ec != std::errc::no_such_file_or_directory) ADD_FAILURE() << "listing " << dir << ": " << ec.message();
  return out;
}

// Waits until user.srsfs.state of dir starts with "compressed" or "failed"; returns the last value.
inline std::string wait_done(const stdfs::path& dir, std::chrono::milliseconds timeout = 90s) {
  std::string last;
  poll_until(
      [&] {
        last = get_xattr(dir, kXattrState).value_or(std::string("(getxattr: ") + std::strerror(errno) + ")");
        return last.starts_with("compressed") || last.starts_with("failed");
      },
      timeout, 50ms);
  return last;
}

inline codec::SynthOptions small_scan(uint32_t size = 96, uint32_t frames = 12, uint64_t seed = 1) {
  codec::SynthOptions o;
  o.width = o.height = size;
  o.frames = frames;
  o.seed = seed;
  o.threads = 1;
  return o;
}

// Runs a command line through the shell; returns its exit status, output in `out`.
inline int run_command(const std::string& cmd, std::string* out = nullptr) {
  TempDir t;
  stdfs::path f = t / "out";
  int rc = std::system((cmd + " > '" + f.string() + "' 2>&1").c_str());
  if (out) *out = read_file(f);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The store, read-only, beside the running daemon.
inline std::unique_ptr<Store> open_store_ro(const stdfs::path& dir) {
  StoreOptions o;
  o.read_only = true;
  return Store::open(dir, o);
}

// SOURCE, MNT and the log in a fresh temporary directory.
class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SRSFS_REQUIRE_E2E();
    source = tmp / "source";
    mnt = tmp / "mnt";
    store = source / kDefaultStoreName;
    stdfs::create_directories(source);
    stdfs::create_directories(mnt);
  }
  std::unique_ptr<Daemon> mount(std::vector<std::string> args = {}, std::vector<std::string> env = {}) {
    auto d = std::make_unique<Daemon>(source, mnt, tmp / "daemon.log", std::move(args), std::move(env));
    return d;
  }
  TempDir tmp;
  stdfs::path source, mnt, store;
};

}  // namespace srsfs::fs::e2e
