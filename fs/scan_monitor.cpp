#include "fs/scan_monitor.h"

#include <vector>

#include <spdlog/spdlog.h>

namespace srsfs::fs {

ScanMonitor::ScanMonitor(ScanSink& sink, ScanMonitorConfig config) : sink_(sink), config_(std::move(config)) {}

ScanMonitor::~ScanMonitor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (idle_thread_.joinable()) idle_thread_.join();
}

void ScanMonitor::on_create(const std::string& dir_rel, const std::string& name) {
  if (dir_rel.empty()) return;
  if (is_marker(name)) {
    spdlog::info("scan {}: marker {} created", dir_rel, name);
    complete(dir_rel);
    return;
  }
  touch(dir_rel);
}

void ScanMonitor::on_write(const std::string& dir_rel) {
  if (!dir_rel.empty()) touch(dir_rel);
}

void ScanMonitor::request(const std::string& dir_rel) {
  spdlog::info("scan {}: compression requested", dir_rel.empty() ? "/" : dir_rel);
  complete(dir_rel);
}

void ScanMonitor::touch(const std::string& dir_rel) {
  if (config_.idle.count() <= 0) return;  // nothing to time
  bool first;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = active_.insert_or_assign(dir_rel, Clock::now());
    first = inserted;
    // Started on first activity, not in the constructor: the daemon forks after building the monitor.
    if (!idle_thread_.joinable() && !stop_) idle_thread_ = std::thread([this] { idle_loop(); });
  }
  if (first) cv_.notify_all();  // the idle thread may be waiting with no deadline
}

void ScanMonitor::complete(const std::string& dir_rel) {
  {
    std::lock_guard lock(mu_);
    active_.erase(dir_rel);
  }
  // Outside the lock: the sink may take its time queueing, and may call back into state().
  try {
    sink_.scan_complete(dir_rel);
  } catch (const std::exception& e) {
    spdlog::error("scan {}: could not queue for compression: {}", dir_rel, e.what());
  }
}

void ScanMonitor::on_dir_renamed(const std::string& from_rel, const std::string& to_rel) {
  std::lock_guard lock(mu_);
  std::map<std::string, Clock::time_point> moved;
  for (auto it = active_.begin(); it != active_.end();) {
    const std::string& d = it->first;
    if (d == from_rel || (d.size() > from_rel.size() && d.compare(0, from_rel.size(), from_rel) == 0 &&
                          d[from_rel.size()] == '/')) {
      moved.emplace(to_rel + d.substr(from_rel.size()), it->second);
      it = active_.erase(it);
    } else {
      ++it;
    }
  }
  active_.merge(moved);
}

void ScanMonitor::on_dir_removed(const std::string& dir_rel) {
  std::lock_guard lock(mu_);
  active_.erase(dir_rel);
}

std::string ScanMonitor::state(const std::string& dir_rel) {
  {
    std::lock_guard lock(mu_);
    if (active_.count(dir_rel)) return "writing";
  }
  return sink_.scan_state(dir_rel);
}

std::string ScanMonitor::status_json() {
  std::vector<std::string> writing;
  {
    std::lock_guard lock(mu_);
    for (const auto& [dir, last] : active_) writing.push_back(dir);
  }
  return sink_.status_json(writing);
}

void ScanMonitor::idle_loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto now = Clock::now();
    std::vector<std::string> due;
    auto next = Clock::time_point::max();
    for (const auto& [dir, last] : active_) {
      auto deadline = last + config_.idle;
      if (deadline <= now) {
        due.push_back(dir);
      } else if (deadline < next) {
        next = deadline;
      }
    }
    if (!due.empty()) {
      lock.unlock();
      for (const auto& dir : due) {
        bool still_idle;
        {
          std::lock_guard relock(mu_);
          auto it = active_.find(dir);
          still_idle = it != active_.end() && it->second + config_.idle <= Clock::now();
        }
        if (still_idle) {
          spdlog::info("scan {}: no writes for {} ms", dir, config_.idle.count());
          complete(dir);
        }
      }
      lock.lock();
      continue;
    }
    if (next == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
  }
}

}  // namespace srsfs::fs
