// A bounded number of concurrent decodes (one a core). More would only share the cores: every reader would
// wait longer for its own bytes, memory would grow with the readers, and a daemon asked to stop would first
// have to finish the backlog. Waiters give up at once when the owner stops (stop(), or its stop check, which
// is polled while they wait: a signal handler can set a flag but cannot wake a condition variable).
#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <utility>

#include "codec/error.h"

namespace srsfs::cache {

class WorkSlots {
 public:
  explicit WorkSlots(unsigned slots) : free_(slots ? slots : 1) {}
  WorkSlots(const WorkSlots&) = delete;
  WorkSlots& operator=(const WorkSlots&) = delete;

  // Held for the duration of one piece of work.
  class Slot {
   public:
    explicit Slot(WorkSlots* owner) : owner_(owner) {}
    Slot(Slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (owner_) owner_->release();
    }

   private:
    WorkSlots* owner_;
  };

  // Waits for a free slot; throws Errc::io ("stopping") once stopped, before or while waiting.
  Slot acquire() {
    std::unique_lock lock(mu_);
    for (;;) {
      if (stopped_locked()) fail(Errc::io, "the daemon is stopping: read abandoned");
      if (free_ > 0) break;
      cv_.wait_for(lock, std::chrono::milliseconds(20));
    }
    --free_;
    return Slot(this);
  }

  // `check` returns true once the owner is stopping; it is called with this object's mutex held and must not
  // block. Pass nullptr before whatever it reads goes away.
  void set_stop_check(std::function<bool()> check) {
    std::lock_guard lock(mu_);
    check_ = std::move(check);
  }

  // From now on every acquire() throws; work holding a slot finishes.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
  }

 private:
  bool stopped_locked() {
    if (!stopped_ && check_ && check_()) stopped_ = true;
    return stopped_;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      ++free_;
    }
    cv_.notify_one();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  unsigned free_;
  bool stopped_ = false;
  std::function<bool()> check_;
};

}  // namespace srsfs::cache
