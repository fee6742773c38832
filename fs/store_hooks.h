// The real compressed side of mount.srsfs: the LMDB store, the cached view over it and the compressor.
#pragma once
#include "fs/mount_main.h"

namespace srsfs::fs {

MountHooks store_mount_hooks();

}  // namespace srsfs::fs
