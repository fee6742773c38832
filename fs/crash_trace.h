// A last word from a dying daemon: a mount that runs in the background has no terminal, so a crash would
// otherwise leave only "Transport endpoint is not connected" behind.
#pragma once

namespace srsfs::fs {

// On SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT, writes the signal's name and a backtrace to stderr and,
// when /dev/log can be reached, to the system log; then lets the signal take its default action, so the
// exit status and any core dump are what they would have been without the handler. The handler uses only
// async-signal-safe calls and runs on an alternate stack (for the calling thread: install it in main
// before other threads start, so that a stack overflow there is reported too). Calling it again is harmless.
void install_fatal_signal_trace();

}  // namespace srsfs::fs
