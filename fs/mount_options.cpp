#include "fs/mount_options.h"

#include <cstddef>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "codec/error.h"
#include "fs/compressed_view.h"
#include "fs/fuse_api.h"

namespace srsfs::fs {

namespace {

enum Key { kKeyAllowOther = 100, kKeyDefaultPermissions };

// Filled by fuse_opt_parse: %s values are malloc'ed by libfuse, freed by the destructor.
struct RawOptions {
  char* store = nullptr;
  char* cache_size = nullptr;
  char* workers = nullptr;
  char* complete_idle = nullptr;
  char* lock_wait = nullptr;
  char* complete_marker = nullptr;
  int allow_other = 0;
  int default_permissions = 0;
  int positional = 0;
  char* source = nullptr;
  char* error = nullptr;
  ~RawOptions() {
    for (char* p : {store, cache_size, workers, complete_idle, lock_wait, complete_marker, source, error}) std::free(p);
  }
};

#define SRSFS_OPT(t, field) {t, offsetof(RawOptions, field), 0}
const fuse_opt kSpec[] = {
    SRSFS_OPT("store=%s", store),
    SRSFS_OPT("cache_size=%s", cache_size),
    SRSFS_OPT("workers=%s", workers),
    SRSFS_OPT("complete_idle=%s", complete_idle),
    SRSFS_OPT("lock_wait=%s", lock_wait),
    SRSFS_OPT("complete_marker=%s", complete_marker),
    FUSE_OPT_KEY("allow_other", kKeyAllowOther),
    FUSE_OPT_KEY("default_permissions", kKeyDefaultPermissions),
    FUSE_OPT_END,
};
#undef SRSFS_OPT

int process(void* data, const char* arg, int key, fuse_args*) {
  auto& raw = *static_cast<RawOptions*>(data);
  switch (key) {
    case FUSE_OPT_KEY_NONOPT:
      if (raw.positional++ == 0) {  // SOURCE is ours; MOUNTPOINT goes on to fuse_parse_cmdline
        raw.source = ::strdup(arg);
        return 0;
      }
      return 1;
    case kKeyAllowOther:
      raw.allow_other = 1;
      return 1;  // keep: libfuse applies it
    case kKeyDefaultPermissions:
      raw.default_permissions = 1;
      return 1;
    default:
      return 1;
  }
}

unsigned parse_unsigned(const char* option, const char* text) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(text, &end, 10);
  if (!*text || *end || errno || v > std::numeric_limits<unsigned>::max() || text[0] == '-')
    fail(Errc::invalid_argument, "option {}={}: expected a non-negative whole number", option, text);
  return unsigned(v);
}

// fsname is one comma-separated -o item: escape what would split it.
std::string escape_opt(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == ',' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

struct ArgsOwner {
  fuse_args a;
  ~ArgsOwner() { fuse_opt_free_args(&a); }
};

}  // namespace

uint64_t parse_byte_size(std::string_view text) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    uint64_t d = uint64_t(text[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) fail(Errc::invalid_argument, "size {} is too large", text);
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) fail(Errc::invalid_argument, "size '{}': expected a number with an optional k, M, G or T suffix", text);
  int shift = 0;
  if (i < text.size()) {
    switch (text[i]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      case 't': case 'T': shift = 40; break;
      default: fail(Errc::invalid_argument, "size '{}': unknown suffix (use k, M, G or T)", text);
    }
    ++i;
    if (i < text.size() && (text[i] == 'B' || text[i] == 'b')) ++i;  // "64MB" reads as 64 MiB too
  }
  if (i != text.size()) fail(Errc::invalid_argument, "size '{}': unexpected characters after the suffix", text);
  if (shift && v > (std::numeric_limits<uint64_t>::max() >> shift)) fail(Errc::invalid_argument, "size {} is too large", text);
  return v << shift;
}

MountOptions parse_mount_options(int argc, char** argv) {
  MountOptions out;
  RawOptions raw;
  ArgsOwner args{FUSE_ARGS_INIT(argc, argv)};
  if (fuse_opt_parse(&args.a, &raw, kSpec, process) != 0)
    fail(Errc::invalid_argument, "cannot parse the options (see above)");

  fuse_cmdline_opts cmd{};
  if (fuse_parse_cmdline(&args.a, &cmd) != 0) {
    std::free(cmd.mountpoint);
    fail(Errc::invalid_argument, "cannot parse the options (see above)");
  }
  struct MountpointOwner {
    char* p;
    ~MountpointOwner() { std::free(p); }
  } mp{cmd.mountpoint};
  out.show_help = cmd.show_help;
  out.show_version = cmd.show_version;
  out.foreground = cmd.foreground;
  out.debug = cmd.debug;
  out.loop.single_thread = cmd.singlethread;
  out.loop.clone_fd = true;  // our default; -o clone_fd is accepted and changes nothing
  if (cmd.max_threads) out.loop.max_threads = cmd.max_threads;
  out.loop.max_idle_threads = int(cmd.max_idle_threads);
  if (out.show_help || out.show_version) return out;

  if (!raw.source || !cmd.mountpoint) fail(Errc::invalid_argument, "expected SOURCE and MOUNTPOINT (see --help)");
  if (raw.positional > 2) fail(Errc::invalid_argument, "too many arguments: expected SOURCE and MOUNTPOINT");
  std::error_code ec;
  out.source = std::filesystem::canonical(raw.source, ec);
  if (ec) fail(Errc::invalid_argument, "source directory {}: {}", raw.source, ec.message());
  if (!std::filesystem::is_directory(out.source)) fail(Errc::invalid_argument, "source {} is not a directory", raw.source);
  out.mountpoint = cmd.mountpoint;  // libfuse has made it absolute (realpath)

  out.store = raw.store ? std::filesystem::absolute(raw.store).lexically_normal()
                        : out.source / kDefaultStoreName;
  if (raw.cache_size) {
    try {
      out.cache_size = parse_byte_size(raw.cache_size);
    } catch (const Error& e) {
      fail(Errc::invalid_argument, "option cache_size={}: {}", raw.cache_size, e.what());
    }
  }
  if (raw.workers) out.workers = parse_unsigned("workers", raw.workers);
  if (raw.complete_idle) out.complete_idle_s = parse_unsigned("complete_idle", raw.complete_idle);
  if (raw.lock_wait) out.lock_wait_s = parse_unsigned("lock_wait", raw.lock_wait);
  if (raw.complete_marker) {
    out.complete_marker = raw.complete_marker;
    if (out.complete_marker.find('/') != std::string::npos)
      fail(Errc::invalid_argument, "complete_marker={}: a file name, not a path", out.complete_marker);
  }

  for (int i = 0; i < args.a.argc; ++i) out.fuse_args.emplace_back(args.a.argv[i]);
  if (out.fuse_args.empty()) out.fuse_args.emplace_back("srsfs");
  bool named = false;
  for (const auto& a : out.fuse_args) named |= a.find("fsname=") != std::string::npos;
  std::string extra = "subtype=srsfs";
  if (!named) extra += ",fsname=" + escape_opt(out.source.string());
  // Other users reaching a root-run pass-through without kernel permission checks would bypass modes.
  if (raw.allow_other && !raw.default_permissions) extra += ",default_permissions";
  out.fuse_args.emplace_back("-o");
  out.fuse_args.emplace_back(extra);
  return out;
}

std::string mount_usage(std::string_view program) {
  return fmt::format(
      "usage: {0} SOURCE MOUNTPOINT [-f] [-d] [-s] [-o OPTION[,OPTION...]]\n"
      "       mount -t fuse.srsfs SOURCE MOUNTPOINT -o OPTION[,...]   (runs `srsfs`, a link to mount.srsfs)\n"
      "\n"
      "Mirrors SOURCE at MOUNTPOINT. Detectors write frames through the mount; a completed scan directory is\n"
      "compressed losslessly into the store in the background and its raw frames are removed only after the\n"
      "compressed copy is verified. Reads always return the original bytes.\n"
      "\n"
      "srsfs options:\n"
      "    -o store=DIR           compressed store (default SOURCE/{1}; hidden from the mount)\n"
      "    -o cache_size=BYTES    decoded-block cache, k/M/G/T suffixes (default 1G)\n"
      "    -o workers=N           scans compressed at once (default 1; each uses half the CPU cores)\n"
      "    -o complete_marker=NAME  a scan is complete once NAME is created in it (default {2};\n"
      "                           complete_marker= disables markers)\n"
      "    -o complete_idle=SEC   a scan is complete after SEC seconds without writes (default 0 = off)\n"
      "    -o lock_wait=SEC       wait up to SEC seconds for a daemon still stopping to free the store (default 10)\n"
      "    -f                     foreground; log to stderr (otherwise daemonise and log to syslog)\n"
      "    -d                     debug: foreground and trace every FUSE request\n"
      "    -o allow_other         let other users use the mount (srsfs then adds default_permissions)\n"
      "    -o default_permissions let the kernel check access against the modes shown\n"
      "\n"
      "Scan control through the mount:\n"
      "    setfattr -n {3} -v 1 DIR   compress DIR now (what `srsfs-admin compress DIR` does)\n"
      "    getfattr -n {4} DIR        what srsfs is doing with DIR\n"
      "    srsfs-admin status MNT     scans, queue and cache statistics (the JSON of user.srsfs.status)\n"
      "Compressed files are read-only: opening one for writing, truncating it or changing its attributes\n"
      "fails with EROFS (\"Read-only file system\"); rename and delete work.\n",
      program, kDefaultStoreName, kDefaultCompleteMarker, kXattrCompress, kXattrState);
}

}  // namespace srsfs::fs
