// install_fatal_signal_trace: a child that installs it and then dies of a fatal signal must say which
// signal, print a backtrace, and still die of that signal.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "fs/crash_trace.h"

namespace srsfs::fs {
namespace {

struct Death {
  int signal = 0;  // 0: the child did not die of a signal
  std::string stderr_text;
};

// Forks a child whose stderr is a pipe; the child installs the trace and calls die().
template <typename F>
Death run_child(F&& die) {
  int p[2];
  EXPECT_EQ(::pipe(p), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(p[0]);
    ::dup2(p[1], STDERR_FILENO);
    ::close(p[1]);
    struct rlimit no_core {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // a test leaves no core files behind
    install_fatal_signal_trace();
    die();
    ::_exit(0);
  }
  ::close(p[1]);
  Death d;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(p[0], buf, sizeof buf)) > 0) d.stderr_text.append(buf, size_t(n));
  ::close(p[0]);
  int status = 0;
  EXPECT_EQ(::waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) d.signal = WTERMSIG(status);
  return d;
}

// Lines after the header that look like backtrace_symbols_fd's "object(symbol+0x..) [0x...]".
int backtrace_lines(const std::string& text) {
  int count = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (line.find("[0x") != std::string::npos && line.back() == ']') ++count;
    pos = end + 1;
  }
  return count;
}

TEST(CrashTrace, SegvIsNamedTracedAndStillKills) {
  Death d = run_child([] { ::raise(SIGSEGV); });
  EXPECT_EQ(d.signal, SIGSEGV) << d.stderr_text;
  EXPECT_NE(d.stderr_text.find("fatal signal SIGSEGV"), std::string::npos) << d.stderr_text;
  EXPECT_GE(backtrace_lines(d.stderr_text), 1) << d.stderr_text;
}

TEST(CrashTrace, RealInvalidAccessGivesTheAddress) {
  Death d = run_child([] {
    volatile uintptr_t addr = 0x10;  // opaque to the compiler: it must emit the store
    *reinterpret_cast<volatile int*>(addr) = 1;
  });
  EXPECT_EQ(d.signal, SIGSEGV) << d.stderr_text;
  EXPECT_NE(d.stderr_text.find("fatal signal SIGSEGV (invalid memory access) at address 0x10 "), std::string::npos)
      << d.stderr_text;
  EXPECT_GE(backtrace_lines(d.stderr_text), 1) << d.stderr_text;
}

TEST(CrashTrace, AbortIsNamedTracedAndStillKills) {
  Death d = run_child([] { std::abort(); });
  EXPECT_EQ(d.signal, SIGABRT) << d.stderr_text;
  EXPECT_NE(d.stderr_text.find("fatal signal SIGABRT"), std::string::npos) << d.stderr_text;
  EXPECT_GE(backtrace_lines(d.stderr_text), 1) << d.stderr_text;
}

TEST(CrashTrace, UnrelatedSignalsAndNormalExitAreUntouched) {
  Death d = run_child([] { ::raise(SIGTERM); });
  EXPECT_EQ(d.signal, SIGTERM);
  EXPECT_EQ(d.stderr_text.find("fatal signal"), std::string::npos) << d.stderr_text;
  d = run_child([] {});
  EXPECT_EQ(d.signal, 0);
  EXPECT_EQ(d.stderr_text, "");
}

}  // namespace
}  // namespace srsfs::fs
