// The mount.srsfs program: options, daemon, FUSE session. tools/mount/main.cpp only calls run_mount.
#pragma once
#include <functional>
#include <memory>

#include "fs/compressed_view.h"
#include "fs/mount_options.h"
#include "fs/write_gate.h"

namespace srsfs::fs {

// How the compressed side plugs in. Both factories run in the daemon process after it has detached (so they
// may start threads and open LMDB) and before `mount.srsfs` returns: make_view before mounting (a store that
// cannot be opened leaves nothing mounted), make_sink once mounted, before the first request is served. An
// exception from either exits with status 1, its message on the terminal. The sink is stopped as soon as the
// session's loop ends and destroyed before the view, so a compressor may hold on to the view until then.
struct MountHooks {
  std::function<std::unique_ptr<CompressedView>(const MountOptions&)> make_view;
  // kernel: outlives the sink; tells the kernel about names changed behind the mount. gate: outlives the sink;
  // the FUSE side registers every writer of a raw file there, and raw files are released only through it.
  std::function<std::unique_ptr<ScanSink>(const MountOptions&, CompressedView&, KernelCache& kernel, WriteGate& gate)>
      make_sink;
};

// Until the store and compressor exist: no compressed files; completed scans are only logged.
MountHooks default_mount_hooks();

// Runs the daemon; returns the process exit status (0: unmounted or stopped by SIGINT/SIGTERM/SIGHUP).
int run_mount(int argc, char** argv, MountHooks hooks = default_mount_hooks());

}  // namespace srsfs::fs
