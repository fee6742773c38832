// Command line of mount.srsfs (also run as `srsfs` by mount.fuse3 for `mount -t fuse.srsfs`):
//   mount.srsfs SOURCE MOUNTPOINT [-f] [-d] [-s] [-o opt[,opt...]]
// srsfs's own -o options are parsed here with fuse_opt; every other option is kept for libfuse
// (allow_other, default_permissions, ro, clone_fd, max_threads, ...).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fs/fuse_session.h"

namespace srsfs::fs {

struct MountOptions {
  std::filesystem::path source;      // absolute
  std::filesystem::path mountpoint;  // absolute
  std::filesystem::path store;       // store=DIR; default SOURCE/.srsfs (then hidden from the mount)
  uint64_t cache_size = uint64_t(1) << 30;  // cache_size=BYTES, k/M/G/T suffixes (powers of 1024)
  unsigned workers = 0;                     // workers=N scans compressed at once; 0 = one (each uses half the cores)
  unsigned complete_idle_s = 0;             // complete_idle=SECONDS; 0 = off
  unsigned lock_wait_s = 10;                // lock_wait=SECONDS: how long to wait for a store held by another daemon
  std::string complete_marker = ".complete";  // complete_marker=NAME; empty = off
  bool foreground = false;                  // -f (and -d)
  bool debug = false;                       // -d
  bool show_help = false;                   // -h, --help
  bool show_version = false;                // -V, --version
  LoopOptions loop;                         // -s, -o clone_fd, max_threads=N, max_idle_threads=N
  std::vector<std::string> fuse_args;       // for fuse_session_new; fuse_args[0] is the program name
};

// Throws srsfs::Error(Errc::invalid_argument) with a message for the user.
MountOptions parse_mount_options(int argc, char** argv);
// "4096", "64k", "512M", "2G", "1T" -> bytes.
uint64_t parse_byte_size(std::string_view text);
// srsfs's part of --help (libfuse's own option help follows it).
std::string mount_usage(std::string_view program);

}  // namespace srsfs::fs
