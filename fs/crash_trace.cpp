#include "fs/crash_trace.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

#include <spdlog/spdlog.h>

namespace srsfs::fs {
namespace {

constexpr int kFatalSignals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
constexpr int kMaxFrames = 64;
constexpr int kSyslogPriority = (3 << 3) | 2;  // LOG_DAEMON | LOG_CRIT, as <syslog.h> encodes them

// Everything the handler touches exists before it can run: no heap, no locks, no stdio.
alignas(16) char g_alt_stack[64 * 1024];
int g_syslog_fd = -1;  // a datagram socket connected to /dev/log, or -1
std::atomic<bool> g_installed{false};

// One line of text built in place, truncated rather than overflowing.
class Line {
 public:
  Line& str(const char* s) {
    while (s && *s && n_ < sizeof buf_ - 1) buf_[n_++] = *s++;
    return *this;
  }
  Line& dec(uint64_t v) {
    char tmp[24];
    int k = 0;
    do tmp[k++] = char('0' + v % 10);
    while ((v /= 10) != 0);
    while (k > 0 && n_ < sizeof buf_ - 1) buf_[n_++] = tmp[--k];
    return *this;
  }
  Line& hex(uintptr_t v) {
    char tmp[2 * sizeof v];
    int k = 0;
    do tmp[k++] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) != 0);
    str("0x");
    while (k > 0 && n_ < sizeof buf_ - 1) buf_[n_++] = tmp[--k];
    return *this;
  }
  const char* data() const { return buf_; }
  size_t size() const { return n_; }

 private:
  char buf_[1024];
  size_t n_ = 0;
};

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= size_t(w);
  }
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGBUS: return "SIGBUS (bus error)";
    case SIGILL: return "SIGILL (illegal instruction)";
    case SIGFPE: return "SIGFPE (arithmetic exception)";
    case SIGABRT: return "SIGABRT (aborted)";
    default: return "unexpected signal";
  }
}

// One syslog message, "<PRI>program[pid]: text", in one datagram; dropped if the log daemon is busy.
void to_syslog(const Line& text) {
  if (g_syslog_fd < 0) return;
  Line msg;
  msg.str("<").dec(kSyslogPriority).str(">").str(program_invocation_short_name).str("[").dec(uint64_t(::getpid()));
  msg.str("]: ").str(text.data());
  (void)::send(g_syslog_fd, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

void on_fatal_signal(int sig, siginfo_t* info, void*) {
  const int saved_errno = errno;
  Line head;
  head.str("srsfs: fatal signal ").str(signal_name(sig));
  if (sig != SIGABRT && info && info->si_code > 0)  // raised by the hardware, not sent: where it happened
    head.str(" at address ").hex(reinterpret_cast<uintptr_t>(info->si_addr));
  head.str(" in thread ").dec(uint64_t(::gettid())).str(" of process ").dec(uint64_t(::getpid()));
  head.str("; backtrace:");
  to_syslog(head);
  head.str("\n");
  write_all(STDERR_FILENO, head.data(), head.size());

  void* frames[kMaxFrames];
  int n = ::backtrace(frames, kMaxFrames);
  ::backtrace_symbols_fd(frames, n, STDERR_FILENO);
  if (g_syslog_fd >= 0) {
    for (int k = 0; k < n; ++k) {
      // The same facts backtrace_symbols_fd prints: object, nearest symbol and offset, address.
      Line l;
      l.str("  #").dec(uint64_t(k)).str(" ");
      Dl_info di{};
      if (::dladdr(frames[k], &di) != 0) {
        l.str(di.dli_fname).str("(").str(di.dli_sname);
        uintptr_t base = reinterpret_cast<uintptr_t>(di.dli_sname ? di.dli_saddr : di.dli_fbase);
        l.str("+").hex(reinterpret_cast<uintptr_t>(frames[k]) - base).str(") ");
      }
      l.str("[").hex(reinterpret_cast<uintptr_t>(frames[k])).str("]");
      to_syslog(l);
    }
  }
  // SA_RESETHAND restored the default action; the signal stays blocked until this handler returns, and
  // is then delivered again: the process ends as the signal dictates (status, core dump).
  errno = saved_errno;
  ::raise(sig);
}

int open_syslog_socket() {
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, "/dev/log", sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;  // no log daemon here: stderr only
  }
  return fd;
}

}  // namespace

void install_fatal_signal_trace() {
  if (g_installed.exchange(true)) return;
  // backtrace() loads libgcc_s on its first call, which allocates: do that now, not in the handler.
  void* warm[1];
  (void)::backtrace(warm, 1);
  g_syslog_fd = open_syslog_socket();

  // An alternate stack, so that a stack overflow can still be reported; one already set up (e.g. by a
  // sanitizer runtime) is kept.
  stack_t old{};
  if (::sigaltstack(nullptr, &old) == 0 && (old.ss_flags & SS_DISABLE)) {
    stack_t ss{};
    ss.ss_sp = g_alt_stack;
    ss.ss_size = sizeof g_alt_stack;
    if (::sigaltstack(&ss, nullptr) != 0) spdlog::warn("crash trace: no alternate signal stack: {}", std::strerror(errno));
  }

  struct sigaction sa {};
  sa.sa_sigaction = on_fatal_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  for (int sig : kFatalSignals)
    if (::sigaction(sig, &sa, nullptr) != 0) spdlog::warn("crash trace: cannot handle signal {}: {}", sig, std::strerror(errno));
}

}  // namespace srsfs::fs
