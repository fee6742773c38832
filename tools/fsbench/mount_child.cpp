#include "tools/fsbench/mount_child.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "codec/error.h"

extern char** environ;

namespace srsfs::fsbench {

bool is_mounted(const std::filesystem::path& mnt) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.find(" " + mnt.string() + " ") != std::string::npos) return true;
  return false;
}

bool drop_page_cache() {
  ::sync();
  int fd = ::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, "3\n", 2) == 2;
  ::close(fd);
  return ok;
}

MountChild::MountChild(const std::filesystem::path& binary, const std::filesystem::path& source,
                       const std::filesystem::path& mnt, const std::filesystem::path& log,
                       const std::vector<std::string>& options)
    : mnt_(mnt), log_(log) {
  std::vector<std::string> args{binary.string(), source.string(), mnt.string(), "-f"};
  args.insert(args.end(), options.begin(), options.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail(Errc::io, "cannot run {}: {}", binary.string(), std::strerror(rc));
  for (int i = 0; i < 1500 && !is_mounted(mnt); ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!is_mounted(mnt)) {
    if (pid_ > 0) ::kill(pid_, SIGKILL), ::waitpid(pid_, nullptr, 0);
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    fail(Errc::io, "mount.srsfs did not mount {}; its log:\n{}", mnt.string(),
         text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
  }
}

MountChild::~MountChild() {
  if (::umount2(mnt_.c_str(), 0) != 0) ::umount2(mnt_.c_str(), MNT_DETACH);
  if (pid_ > 0) {
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 3000 && !(reaped = ::waitpid(pid_, &status, WNOHANG) == pid_); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!reaped) ::kill(pid_, SIGKILL), ::waitpid(pid_, &status, 0);
  }
}

}  // namespace srsfs::fsbench
