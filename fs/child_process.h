// mount.srsfs (or another helper) as a child process: spawned with its output appended to a log, waited for
// with a deadline, and the mount table looked up. Shared by srsfs-fsbench and the end-to-end tests.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace srsfs::fs {

// Whether `mnt` is a mount point of this process's namespace (/proc/self/mountinfo).
bool is_mounted(const std::filesystem::path& mnt);

// This process's environment as KEY=VALUE strings, without the variables whose name starts with
// `drop_prefix` (none when empty).
std::vector<std::string> current_environment(std::string_view drop_prefix = {});

// posix_spawn of argv[0] with `env`; stdout and stderr are appended to `log`, or inherited when `log` is
// empty. Throws srsfs::Error (io) when the program cannot be started.
pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                    const std::filesystem::path& log = {});

// The child's exit status (128 + signal when killed by one), or -1 when it did not end within `timeout`
// (it is then killed with SIGKILL and reaped) or is not a child of this process.
int wait_exit(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace srsfs::fs
