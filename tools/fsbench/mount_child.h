// mount.srsfs as a child process of the benchmark: mounted in the constructor (foreground, log to a file),
// unmounted in the destructor.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace srsfs::fsbench {

class MountChild {
 public:
  // Throws srsfs::Error when the mount does not appear within 30 s (the log's tail in the message).
  MountChild(const std::filesystem::path& binary, const std::filesystem::path& source, const std::filesystem::path& mnt,
             const std::filesystem::path& log, const std::vector<std::string>& options);
  ~MountChild();  // unmounts and waits for the daemon
  pid_t pid() const { return pid_; }
  // A line of the daemon's /proc/PID/status in bytes ("VmHWM": the peak resident set, mapped store pages
  // included; "RssAnon": its private memory now); 0 when it cannot be read.
  uint64_t proc_status_bytes(const std::string& field) const;
  MountChild(const MountChild&) = delete;
  MountChild& operator=(const MountChild&) = delete;

 private:
  std::filesystem::path mnt_, log_;
  pid_t pid_ = -1;
};

// sync + echo 3 > /proc/sys/vm/drop_caches; false when not permitted.
bool drop_page_cache();

}  // namespace srsfs::fsbench
