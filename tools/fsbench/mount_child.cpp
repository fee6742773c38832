#include "tools/fsbench/mount_child.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "codec/error.h"
#include "fs/child_process.h"

namespace srsfs::fsbench {

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
  pid_ = fs::spawn_process(args, fs::current_environment(), log);
  for (int i = 0; i < 1500 && !fs::is_mounted(mnt); ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!fs::is_mounted(mnt)) {
    if (pid_ > 0) fs::wait_exit(pid_, std::chrono::milliseconds(0));  // kills it
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    fail(Errc::io, "mount.srsfs did not mount {}; its log:\n{}", mnt.string(),
         text.substr(text.size() > 2000 ? text.size() - 2000 : 0));
  }
}

uint64_t MountChild::proc_status_bytes(const std::string& field) const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(field + ":")) return std::stoull(line.substr(field.size() + 1)) * 1024;  // "VmHWM:  123 kB"
  return 0;
}

MountChild::~MountChild() {
  if (::umount2(mnt_.c_str(), 0) != 0) ::umount2(mnt_.c_str(), MNT_DETACH);
  if (pid_ > 0) fs::wait_exit(pid_, std::chrono::seconds(30));
}

}  // namespace srsfs::fsbench
