#include "fs/mount_main.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "codec/error.h"
#include "fs/fuse_api.h"
#include "fs/fuse_filesystem.h"
#include "fs/fuse_session.h"
#include "fs/scan_monitor.h"

namespace srsfs::fs {

namespace {

// Forwards the compressor's notifications to the kernel while the session is served; detached before the
// session goes (the compressor may still finish a scan after that).
class SessionNotifier final : public KernelCache {
 public:
  void attach(FuseFilesystem* fs, fuse_session* se) {
    std::lock_guard lock(mu_);
    fs_ = fs;
    se_ = se;
  }
  void name_changed(const std::string& dir_rel, const std::string& name) noexcept override {
    std::lock_guard lock(mu_);
    if (fs_ && se_) fs_->invalidate_entry(se_, dir_rel, name);
  }

 private:
  std::mutex mu_;
  FuseFilesystem* fs_ = nullptr;
  fuse_session* se_ = nullptr;
};

class LoggingSink final : public ScanSink {
 public:
  void scan_complete(const std::string& dir_rel) override {
    spdlog::info("scan {} is complete (no compressor configured: it stays raw)", dir_rel);
  }
  std::string scan_state(const std::string&) override { return "raw"; }
};

// The view and sink are made after daemonising, but the filesystem that refers to them is mounted before
// (so that `mount` returns only once the mount exists): these stand in until then.
class ForwardingView final : public CompressedView {
 public:
  std::unique_ptr<CompressedView> target;
  std::optional<CompressedEntry> lookup(const std::string& d, const std::string& n) override {
    return target->lookup(d, n);
  }
  std::vector<CompressedEntry> list(const std::string& d) override { return target->list(d); }
  size_t read(const std::string& p, uint64_t off, std::span<uint8_t> out) override {
    return target->read(p, off, out);
  }
  void unlink(const std::string& p) override { target->unlink(p); }
  void rename(const std::string& f, const std::string& t) override { target->rename(f, t); }
  void rename_dir(const std::string& f, const std::string& t) override { target->rename_dir(f, t); }
  std::optional<std::string> getxattr(const std::string& p, const std::string& n) override {
    return target->getxattr(p, n);
  }
  std::vector<std::string> listxattr(const std::string& p) override { return target->listxattr(p); }
};

class ForwardingSink final : public ScanSink {
 public:
  std::unique_ptr<ScanSink> target;
  void scan_complete(const std::string& d) override {
    if (target) target->scan_complete(d);
  }
  std::string scan_state(const std::string& d) override { return target ? target->scan_state(d) : "starting"; }
  std::string status_json(const std::vector<std::string>& w) override { return target ? target->status_json(w) : "{}"; }
};

void fuse_log_to_spdlog(fuse_log_level level, const char* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string_view msg(buf);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  switch (level) {
    case FUSE_LOG_EMERG:
    case FUSE_LOG_ALERT:
    case FUSE_LOG_CRIT:
    case FUSE_LOG_ERR: spdlog::error("{}", msg); break;
    case FUSE_LOG_WARNING: spdlog::warn("{}", msg); break;
    case FUSE_LOG_NOTICE:
    case FUSE_LOG_INFO: spdlog::info("{}", msg); break;
    case FUSE_LOG_DEBUG: spdlog::debug("{}", msg); break;
  }
}

void use_logger(std::shared_ptr<spdlog::logger> logger, bool debug) {
  logger->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

// A pass-through holds one O_PATH descriptor per inode the kernel knows: allow as many as permitted.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) spdlog::warn("cannot raise the open-file limit");
  }
}

std::string program_name(int argc, char** argv) {
  return argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "mount.srsfs";
}

}  // namespace

MountHooks default_mount_hooks() {
  return MountHooks{
      [](const MountOptions&) -> std::unique_ptr<CompressedView> { return std::make_unique<EmptyCompressedView>(); },
      [](const MountOptions&, CompressedView&, KernelCache&) -> std::unique_ptr<ScanSink> {
        return std::make_unique<LoggingSink>();
      },
  };
}

int run_mount(int argc, char** argv, MountHooks hooks) {
  const std::string prog = program_name(argc, argv);
  auto stderr_logger = spdlog::stderr_color_mt("srsfs-stderr");
  stderr_logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  use_logger(stderr_logger, false);
  fuse_set_log_func(fuse_log_to_spdlog);

  MountOptions opts;
  try {
    opts = parse_mount_options(argc, argv);
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), e.what());
    return 1;
  }
  if (opts.show_help) {
    std::fputs(mount_usage(prog).c_str(), stdout);
    std::puts("\nFUSE options:");
    std::fflush(stdout);
    fuse_cmdline_help();
    fuse_lowlevel_help();
    return 0;
  }
  if (opts.show_version) {
    std::printf("srsfs 0.1.0 (libfuse %s)\n", fuse_pkgversion());
    return 0;
  }
  use_logger(stderr_logger, opts.debug);

  try {
    std::error_code ec;
    if (!std::filesystem::exists(opts.store, ec)) {
      std::filesystem::create_directories(opts.store, ec);
      if (ec) fail(Errc::io, "cannot create store directory {}: {}", opts.store.string(), ec.message());
      std::filesystem::permissions(opts.store, std::filesystem::perms::owner_all, ec);
    }
    raise_fd_limit();
    ::umask(0);  // the kernel has applied the caller's umask to every mode it sends

    ForwardingView view;
    SessionNotifier notifier;  // outlives the sink
    ForwardingSink sink;
    ScanMonitor monitor(sink, ScanMonitorConfig{opts.complete_marker, std::chrono::seconds(opts.complete_idle_s)});
    FuseFilesystem filesystem(FilesystemConfig{opts.source, opts.store, 1.0}, view, monitor);
    FuseSession session(filesystem, opts.fuse_args, opts.mountpoint);
    session.install_signal_handlers();
    if (fuse_daemonize(opts.foreground ? 1 : 0) != 0) fail(Errc::io, "cannot become a daemon");
    if (!opts.foreground) {
      spdlog::drop("srsfs-stderr");
      use_logger(spdlog::syslog_logger_mt("srsfs", "srsfs", LOG_PID, LOG_DAEMON), opts.debug);
    }
    view.target = hooks.make_view(opts);
    notifier.attach(&filesystem, session.get());
    struct Detach {  // before the session goes, however this scope ends
      SessionNotifier& n;
      ~Detach() { n.attach(nullptr, nullptr); }
    } detach{notifier};
    sink.target = hooks.make_sink(opts, *view.target, notifier);
    spdlog::info("serving {} on {} (store {})", opts.source.string(), opts.mountpoint.string(), opts.store.string());
    int r = session.loop(opts.loop);
    if (r < 0) {
      spdlog::error("FUSE loop failed: {}", std::strerror(-r));
      return 1;
    }
    if (r > 0) spdlog::info("stopping on signal {}", r);
    spdlog::info("unmounted {}", opts.mountpoint.string());
    return 0;
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}

}  // namespace srsfs::fs
