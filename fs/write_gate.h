// Who may still change a raw file, so that the compressor never releases (unlinks) one that a writer holds or
// has changed since its bytes were checked. A write acknowledged through the mount must never land in an inode
// the compressor has already released: the data would vanish with it.
//
// The FUSE side brackets every change it makes to a raw file — an open for writing (until its release), and
// each change made without a handle (truncate, chmod, utimes, xattrs by path) — with writer_opened /
// writer_closed. The compressor takes a Ticket before it reads a file's bytes for the release check, and
// unlinks only inside release_if_quiet, which refuses when the file has a writer now or had one since the
// ticket. writer_opened in turn refuses a file that is no longer linked (released meanwhile): the caller
// answers ESTALE, and the kernel repeats the lookup, which then finds the compressed file.
//
// Both checks run under one mutex, held only for a syscall or two (never while reading a file). Knows nothing
// of FUSE or of the store. Thread-safe.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <utility>

namespace srsfs::fs {

class WriteGate {
 public:
  struct Key {
    dev_t dev = 0;
    ino_t ino = 0;
    auto operator<=>(const Key&) const = default;
  };

  // Taken before a release check reads the file; returned to release_if_quiet (or dropped: end_check).
  struct Ticket {
    Key key;
    uint64_t epoch = 0;
  };

  enum class Verdict {
    released,  // `unlink` ran and returned true
    held,      // a writer holds the file open now: it stays raw until the last one closes (on_quiet)
    changed,   // a writer opened or changed it since the ticket: check it again
    refused,   // `unlink` ran and returned false (the name no longer refers to the file, say)
  };

  Ticket begin_check(Key k);
  // Runs `unlink` under the gate's lock when nobody holds k for writing and nobody did since the ticket.
  // Ends the check either way.
  Verdict release_if_quiet(const Ticket& t, const std::function<bool()>& unlink);
  void end_check(const Ticket& t);

  // A writer (an open for writing, or one change by path). `still_linked` runs under the lock: when it
  // returns false the file was released, nothing is registered and the result is false.
  bool writer_opened(Key k, const std::function<bool()>& still_linked);
  // The writer is done; when it was the last one of a file the compressor held back, on_quiet(k) runs
  // (outside the lock, on the caller's thread: it must only queue work).
  void writer_closed(Key k) noexcept;

  // Runs `f` under the gate's lock: for a rename that could put another file under a name being released.
  void exclusive(const std::function<void()>& f);

  // Called when the last writer of a file held back by release_if_quiet closes; empty: nobody listens.
  void set_on_quiet(std::function<void(Key)> f);

  size_t writers(Key k);  // tests

 private:
  struct Entry {
    unsigned writers = 0;
    uint64_t last_open = 0;  // epoch of the latest writer_opened
    bool held = false;       // a release was refused because of it: tell on_quiet when it goes quiet
  };
  void prune_locked(std::map<Key, Entry>::iterator it);
  void finish_check_locked(const Ticket& t);

  std::mutex mu_;
  uint64_t epoch_ = 0;
  std::map<Key, Entry> entries_;     // files with writers, or changed while a check may still care
  std::multiset<uint64_t> checks_;   // epochs of the tickets outstanding: entries newer than the oldest stay
  std::function<void(Key)> on_quiet_;
};

// A registration with the WriteGate, undone when it goes: while it lives the compressor leaves the file raw.
class GateWriter {
 public:
  GateWriter() = default;
  GateWriter(WriteGate* gate, WriteGate::Key key) : gate_(gate), key_(key) {}
  GateWriter(GateWriter&& o) noexcept : gate_(std::exchange(o.gate_, nullptr)), key_(o.key_) {}
  GateWriter& operator=(GateWriter&& o) noexcept {
    if (this != &o) {
      reset();
      gate_ = std::exchange(o.gate_, nullptr);
      key_ = o.key_;
    }
    return *this;
  }
  ~GateWriter() { reset(); }
  void reset() noexcept {
    if (gate_) std::exchange(gate_, nullptr)->writer_closed(key_);
  }

 private:
  WriteGate* gate_ = nullptr;
  WriteGate::Key key_;
};

}  // namespace srsfs::fs
