// Crash consistency with real processes: a child writes scans and is SIGKILLed mid-way (while putting blocks,
// and right around commit); after each kill the store reopens with every scan entirely present or absent.
// The child is this test binary re-executed with SRSFS_STORE_CRASH_CHILD set.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "fs/store.h"
#include "tests/fs/store_test_util.h"
#include "tests/test_paths.h"

extern char** environ;

namespace srsfs::fs {
namespace {

using test::block_bytes;

constexpr uint32_t kBlocks = 8;
constexpr size_t kBlockSize = 64 << 10;
constexpr uint32_t kFiles = 3;

void signal_parent(int fd, char c) {
  if (::write(fd, &c, 1) != 1) std::_Exit(3);
}

// The child: SRSFS_STORE_CRASH_CHILD = "<mode> <store dir> <log file> <pipe fd>".
TEST(StoreCrashChild, Run) {
  const char* spec = std::getenv("SRSFS_STORE_CRASH_CHILD");
  if (!spec) GTEST_SKIP() << "runs only as the child of StoreCrash tests";
  std::istringstream in(spec);
  std::string mode, dir, log;
  int fd = -1;
  in >> mode >> dir >> log >> fd;
  StoreOptions opts;
  opts.initial_map_bytes = 4 << 20;  // grows during the run: a kill may land in a resize too
  opts.write_batch_bytes = 128 << 10;
  auto store = Store::open(dir, opts);
  std::ofstream done(log, std::ios::app);
  for (int n = 0;; ++n) {
    std::string path = mode + "_" + std::to_string(::getpid()) + "_" + std::to_string(n);
    uint32_t blocks = mode == "blocks" && n > 0 ? 100000 : kBlocks;  // "blocks": the 2nd scan never ends
    ScanWriter w = store->begin_scan(path, 0, Bytes{1});
    for (uint32_t i = 0; i < blocks; ++i) {
      w.put_block(i, block_bytes(path, i, kBlockSize));
      if (i == 20) signal_parent(fd, 'B');
    }
    std::vector<FileRecord> files;
    for (uint32_t i = 0; i < kFiles; ++i) files.push_back(test::file_record(path + "/f" + std::to_string(i)));
    signal_parent(fd, 'C');
    w.commit(std::move(files), 1);
    done << path << std::endl;  // only after commit returned: this scan must survive the kill
    signal_parent(fd, 'D');
  }
}

// Every scan in the store is complete and intact; every scan the child saw committed is there.
void verify(const std::filesystem::path& dir, const std::filesystem::path& log) {
  auto store = Store::open(dir);
  CheckReport report = store->check();
  for (const auto& p : report.problems) ADD_FAILURE() << p;
  EXPECT_TRUE(report.notes.empty()) << report.notes.front();  // open removed the dead writer's garbage
  std::set<std::string> present;
  for (const ScanRecord& s : store->list_scans()) {
    present.insert(s.path);
    ASSERT_EQ(s.blocks, kBlocks) << s.path;
    EXPECT_EQ(store->list_dir(s.path).size(), kFiles) << s.path;
    for (uint32_t i = 0; i < kBlocks; ++i) EXPECT_EQ(store->get_block(s.id, i), block_bytes(s.path, i, kBlockSize));
  }
  std::ifstream in(log);
  for (std::string line; std::getline(in, line);) EXPECT_TRUE(present.count(line)) << line << " was committed but is gone";
}

// Starts the child, reads its signals until `kill_after` returns true, then SIGKILLs it.
template <class KillAfter>
void run_and_kill(const std::string& mode, const std::filesystem::path& dir, const std::filesystem::path& log,
                  KillAfter kill_after) {
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  std::string spec = "SRSFS_STORE_CRASH_CHILD=" + mode + " " + dir.string() + " " + log.string() + " " +
                     std::to_string(pipefd[1]);
  std::vector<std::string> env_strings{spec};
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string exe = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string filter = "--gtest_filter=StoreCrashChild.Run";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    ::execve(exe.c_str(), argv, envp.data());
    std::_Exit(127);
  }
  ::close(pipefd[1]);
  char c;
  bool killed = false;
  while (::read(pipefd[0], &c, 1) == 1) {
    if (kill_after(c)) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "the child ended on its own, status " << status;
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
}

TEST(StoreCrash, KilledWhileWritingBlocks) {
  srsfs::test::TempDir tmp;
  auto dir = tmp / "store", log = tmp / "committed.log";
  for (int round = 0; round < 3; ++round) {
    run_and_kill("blocks", dir, log, [&](char c) {
      if (c != 'B') return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5 * round));
      return true;
    });
    verify(dir, log);
  }
  auto store = Store::open(dir);
  EXPECT_EQ(store->list_scans().size(), 3u);  // the first scan of each round
  EXPECT_EQ(store->blobs().scans().size(), 3u);  // no blocks of the killed scans left
}

TEST(StoreCrash, KilledAroundCommit) {
  srsfs::test::TempDir tmp;
  auto dir = tmp / "store", log = tmp / "committed.log";
  std::mt19937 rng(1234);
  const int delays_us[] = {0, 0, 20, 100, 300, 1000, 3000};
  for (int round = 0; round < 14; ++round) {
    int commits_before = int(rng() % 4);
    int delay = delays_us[rng() % std::size(delays_us)];
    int seen = 0;
    run_and_kill("commit", dir, log, [&](char c) {
      if (c != 'C' || seen++ < commits_before) return false;
      if (delay) std::this_thread::sleep_for(std::chrono::microseconds(delay));
      return true;
    });
    verify(dir, log);
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace srsfs::fs
