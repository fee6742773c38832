#include "fs/write_gate.h"

namespace srsfs::fs {

WriteGate::Ticket WriteGate::begin_check(Key k) {
  std::lock_guard lock(mu_);
  checks_.insert(epoch_);
  return Ticket{k, epoch_};
}

void WriteGate::end_check(const Ticket& t) {
  std::lock_guard lock(mu_);
  finish_check_locked(t);
  auto e = entries_.find(t.key);
  if (e != entries_.end()) prune_locked(e);
}

void WriteGate::finish_check_locked(const Ticket& t) {
  if (auto it = checks_.find(t.epoch); it != checks_.end()) checks_.erase(it);
  if (!checks_.empty()) return;
  // No check is left that could ask about an older open: forget every file without writers.
  std::erase_if(entries_, [](const auto& kv) { return kv.second.writers == 0 && !kv.second.held; });
}

WriteGate::Verdict WriteGate::release_if_quiet(const Ticket& t, const std::function<bool()>& unlink) {
  std::lock_guard lock(mu_);
  auto e = entries_.find(t.key);
  if (e != entries_.end()) {
    const bool changed = e->second.last_open > t.epoch;
    finish_check_locked(t);
    e = entries_.find(t.key);  // the sweep may have dropped it (no writers and no check left)
    if (e != entries_.end() && e->second.writers > 0) {
      e->second.held = true;
      return Verdict::held;
    }
    if (changed) {
      if (e != entries_.end()) prune_locked(e);
      return Verdict::changed;
    }
    if (e != entries_.end()) prune_locked(e);
  } else {
    finish_check_locked(t);
  }
  return unlink() ? Verdict::released : Verdict::refused;
}

bool WriteGate::writer_opened(Key k, const std::function<bool()>& still_linked) {
  std::lock_guard lock(mu_);
  if (!still_linked()) return false;
  Entry& e = entries_[k];
  ++e.writers;
  e.last_open = ++epoch_;
  return true;
}

void WriteGate::set_on_quiet(std::function<void(Key)> f) {
  std::lock_guard lock(mu_);
  on_quiet_ = std::move(f);
}

void WriteGate::writer_closed(Key k) noexcept {
  std::function<void(Key)> tell;
  try {
    {
      std::lock_guard lock(mu_);
      auto it = entries_.find(k);
      if (it == entries_.end() || it->second.writers == 0) return;  // unbalanced: nothing to undo
      if (--it->second.writers != 0) return;
      const bool held = it->second.held;
      it->second.held = false;
      prune_locked(it);
      if (!held || !on_quiet_) return;
      tell = on_quiet_;
    }
    tell(k);
  } catch (...) {
    // Only queues a release: if that fails the file stays raw, and the next mount's resume releases it.
  }
}

void WriteGate::exclusive(const std::function<void()>& f) {
  std::lock_guard lock(mu_);
  f();
}

size_t WriteGate::writers(Key k) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(k);
  return it == entries_.end() ? 0 : it->second.writers;
}

// An entry without writers matters only to a check that began before its last open; drop it otherwise, so
// the map holds open files and recent changes, never every file ever written.
void WriteGate::prune_locked(std::map<Key, Entry>::iterator it) {
  const Entry& e = it->second;
  if (e.writers > 0 || e.held) return;
  if (!checks_.empty() && e.last_open > *checks_.begin()) return;
  entries_.erase(it);
}

}  // namespace srsfs::fs
