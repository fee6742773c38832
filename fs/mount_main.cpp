#include "fs/mount_main.h"

#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <syslog.h>

#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <utility>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "codec/error.h"
#include "fs/crash_trace.h"
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

// The sink is made once the session is mounted (it tells the kernel about released files), but the scan
// monitor that reports to it exists before: this stands in until then, and after the sink is stopped.
class ForwardingSink final : public ScanSink {
 public:
  void set(std::unique_ptr<ScanSink> t) {
    std::lock_guard lock(mu_);
    target_ = std::move(t);
  }
  // Stops the real sink (a compressor: it interrupts its scan) outside the lock; later calls see none.
  void stop() {
    std::unique_ptr<ScanSink> gone;
    {
      std::lock_guard lock(mu_);
      gone.swap(target_);
    }
    gone.reset();
  }
  void scan_complete(const std::string& d) override {
    std::lock_guard lock(mu_);
    if (target_) target_->scan_complete(d);
  }
  std::string scan_state(const std::string& d) override {
    std::lock_guard lock(mu_);
    return target_ ? target_->scan_state(d) : "starting";
  }
  std::string status_json(const std::vector<std::string>& w) override {
    std::lock_guard lock(mu_);
    return target_ ? target_->status_json(w) : "{}";
  }

 private:
  std::mutex mu_;  // held for a sink call; scan_complete only queues, so it is short
  std::unique_ptr<ScanSink> target_;
};

// Detaching from the terminal, by hand rather than with fuse_daemonize: the parent waits until the daemon
// serves (store open, mounted, compressor resumed) or has failed, and exits with its status. So `mount`,
// fstab and scripts see every start-up failure, and its message reaches the terminal (the daemon keeps
// stderr until it is ready; only then does it log to syslog).
class Detacher {
 public:
  // Forks. Returns in the child (the daemon-to-be); the parent exits here, 0 once the child is ready, else
  // with the child's exit status.
  void detach() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) fail(Errc::io, "cannot create a pipe: {}", std::strerror(errno));
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) fail(Errc::io, "cannot fork the daemon: {}", std::strerror(errno));
    if (pid > 0) {
      ::close(p[1]);
      char c = 0;
      ssize_t n;
      do {
        n = ::read(p[0], &c, 1);
      } while (n < 0 && errno == EINTR);
      if (n == 1 && c == 'R') ::_exit(0);
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
      std::fprintf(stderr, "mount.srsfs: the daemon died of signal %d before it served\n",
                   WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      ::_exit(1);
    }
    ::close(p[0]);
    write_end_ = p[1];
    if (::setsid() < 0) fail(Errc::io, "cannot start a new session: {}", std::strerror(errno));
  }
  // In the daemon, once it serves: stdio to /dev/null, the parent told.
  void ready() {
    if (write_end_ < 0) return;
    if (::chdir("/") != 0) spdlog::warn("cannot chdir to /: {}", std::strerror(errno));
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::close(null);
    }
    const char c = 'R';
    if (::write(write_end_, &c, 1) != 1) spdlog::warn("cannot tell the starting process: {}", std::strerror(errno));
    ::close(std::exchange(write_end_, -1));
  }

 private:
  int write_end_ = -1;
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
      [](const MountOptions&, CompressedView&, KernelCache&, WriteGate&) -> std::unique_ptr<ScanSink> {
        return std::make_unique<LoggingSink>();
      },
  };
}

int run_mount(int argc, char** argv, MountHooks hooks) {
  install_fatal_signal_trace();  // first, while this is the only thread: a crash leaves its signal and backtrace
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

  Detacher detacher;
  try {
    if (!opts.foreground) detacher.detach();
    raise_fd_limit();
    WriteGate gate;  // outlives the filesystem and the compressor, which share it
    // Everything that can fail comes before `mount` returns: the store first (locked, unreadable, unsafe
    // permissions), so that a failure leaves nothing mounted.
    std::unique_ptr<CompressedView> view = hooks.make_view(opts);
    ::umask(0);  // the kernel has applied the caller's umask to every mode it sends; store files set theirs

    SessionNotifier notifier;  // outlives the sink
    ForwardingSink sink;
    ScanMonitor monitor(sink, ScanMonitorConfig{opts.complete_marker, std::chrono::seconds(opts.complete_idle_s)});
    FilesystemConfig fc;
    fc.source = opts.source;
    fc.hidden = opts.store;
    fc.gate = &gate;
    FuseFilesystem filesystem(fc, *view, monitor);
    FuseSession session(filesystem, opts.fuse_args, opts.mountpoint);
    session.install_signal_handlers();
    notifier.attach(&filesystem, session.get());
    // Reads waiting for a decode give up as soon as the session ends, so that the loop's workers (which
    // libfuse joins before the loop returns) are not held by a backlog of decodes after unmount or SIGTERM.
    view->set_stop_check([&session] { return session.exited(); });
    struct Stop {  // however this scope ends: no notification after the session, no compressor after the loop
      SessionNotifier& n;
      FuseFilesystem& fs;
      ForwardingSink& sink;
      CompressedView& view;
      ~Stop() {
        view.stop_reads();
        view.set_stop_check(nullptr);  // before the session it looks at goes
        n.attach(nullptr, nullptr);
        fs.drop_open_handles();  // ends the writers' gate registrations while the compressor listens
        sink.stop();             // interrupts a scan in progress at its next file boundary
      }
    } stop{notifier, filesystem, sink, *view};
    sink.set(hooks.make_sink(opts, *view, notifier, gate));
    spdlog::info("serving {} on {} (store {})", opts.source.string(), opts.mountpoint.string(), opts.store.string());
    if (!opts.foreground) {
      use_logger(spdlog::syslog_logger_mt("srsfs", "srsfs", LOG_PID, LOG_DAEMON), opts.debug);
      spdlog::drop("srsfs-stderr");
      detacher.ready();
    }
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
