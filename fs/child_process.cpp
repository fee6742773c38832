#include "fs/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstring>
#include <fstream>
#include <thread>

#include "codec/error.h"

extern char** environ;

namespace srsfs::fs {

bool is_mounted(const std::filesystem::path& mnt) {
  std::ifstream in("/proc/self/mountinfo");
  const std::string field = " " + mnt.string() + " ";
  std::string line;
  while (std::getline(in, line))
    if (line.find(field) != std::string::npos) return true;
  return false;
}

std::vector<std::string> current_environment(std::string_view drop_prefix) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (drop_prefix.empty() || !std::string_view(*e).starts_with(drop_prefix)) env.emplace_back(*e);
  return env;
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::filesystem::path& log) {
  if (argv.empty()) fail(Errc::invalid_argument, "spawn_process: no program");
  auto pointers = [](const std::vector<std::string>& v) {
    std::vector<char*> p;
    for (const auto& s : v) p.push_back(const_cast<char*>(s.c_str()));
    p.push_back(nullptr);
    return p;
  };
  std::vector<char*> a = pointers(argv), e = pointers(env);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (!log.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, a[0], &fa, nullptr, a.data(), e.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) fail(Errc::io, "cannot start {}: {}", argv[0], std::strerror(rc));
  return pid;
}

int wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (pid_t r; (r = ::waitpid(pid, &status, WNOHANG)) != pid;) {
    if (r < 0) return -1;  // not our child (any more): never signal a pid that may have been reused
    if (std::chrono::steady_clock::now() >= end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace srsfs::fs
