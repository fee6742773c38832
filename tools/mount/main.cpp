// mount.srsfs SOURCE MOUNTPOINT [-f] [-o opts]: also run by mount(8) as the fuse.srsfs helper.
#include "fs/mount_main.h"
#include "fs/store_hooks.h"

int main(int argc, char** argv) { return srsfs::fs::run_mount(argc, argv, srsfs::fs::store_mount_hooks()); }
