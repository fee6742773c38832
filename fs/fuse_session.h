// RAII over a libfuse low-level session: created and mounted in the constructor, unmounted and destroyed in
// the destructor, whatever ended the loop (fusermount3 -u, umount, a signal, request_exit).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "fs/fuse_api.h"
#include "fs/fuse_filesystem.h"

namespace srsfs::fs {

struct LoopOptions {
  bool single_thread = false;
  bool clone_fd = true;        // one /dev/fuse descriptor per worker thread: less contention
  unsigned max_threads = 10;   // libfuse's default
  int max_idle_threads = -1;   // -1: libfuse's default
};

class FuseSession {
 public:
  // True once the session ends: a signal's handler, an unmount, or fuse_session_exit (safe from any thread).
  bool exited() const;
  // args: argv-style FUSE arguments (args[0] is the program name), e.g. {"srsfs", "-o", "allow_other"}.
  // Throws srsfs::Error naming the mountpoint when libfuse refuses the options or the mount.
  FuseSession(FuseFilesystem& fs, const std::vector<std::string>& args, const std::filesystem::path& mountpoint);
  ~FuseSession();
  FuseSession(const FuseSession&) = delete;
  FuseSession& operator=(const FuseSession&) = delete;

  // Serves requests until the filesystem is unmounted or the session is told to exit. Returns 0 on a clean
  // end, the signal number when a signal handler (install_signal_handlers) ended it, or -errno.
  int loop(const LoopOptions& options);
  // SIGINT, SIGTERM and SIGHUP end the loop cleanly (the daemon only: a test process keeps its handlers).
  void install_signal_handlers();
  fuse_session* get() const { return se_; }

 private:
  fuse_session* se_ = nullptr;
  bool signals_ = false;
};

}  // namespace srsfs::fs
