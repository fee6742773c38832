// The mount.srsfs program: options, daemon, FUSE session. tools/mount/main.cpp only calls run_mount.
#pragma once
#include <functional>
#include <memory>

#include "fs/compressed_view.h"
#include "fs/mount_options.h"

namespace srsfs::fs {

// How the compressed side plugs in. Both factories run in the daemon process after it has mounted and
// daemonised (so they may start threads and open LMDB) and before the first request is served; an
// exception from either unmounts and exits with status 1, its message logged. The sink is destroyed before
// the view, so a compressor may hold on to the view until then.
struct MountHooks {
  std::function<std::unique_ptr<CompressedView>(const MountOptions&)> make_view;
  // kernel: outlives the sink; tells the kernel about names changed behind the mount.
  std::function<std::unique_ptr<ScanSink>(const MountOptions&, CompressedView&, KernelCache& kernel)> make_sink;
};

// Until the store and compressor exist: no compressed files; completed scans are only logged.
MountHooks default_mount_hooks();

// Runs the daemon; returns the process exit status (0: unmounted or stopped by SIGINT/SIGTERM/SIGHUP).
int run_mount(int argc, char** argv, MountHooks hooks = default_mount_hooks());

}  // namespace srsfs::fs
