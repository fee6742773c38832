// Decides when a scan directory is complete and tells the ScanSink, from what the mount sees:
//   - the marker file (default ".complete") is created in, or renamed into, the directory;
//   - no file in the directory was created or written for `idle` (0 = never);
//   - an explicit request (setxattr user.srsfs.compress on the directory, i.e. `srsfs-admin compress`).
// Files written directly in the SOURCE root do not form a scan: the root is never reported.
// Each completion is reported once; a directory written again afterwards is tracked anew.
#pragma once
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "fs/compressed_view.h"

namespace srsfs::fs {

struct ScanMonitorConfig {
  std::string marker = kDefaultCompleteMarker;     // empty: markers disabled
  std::chrono::milliseconds idle{0};               // 0: idle completion disabled
};

class ScanMonitor {
 public:
  using Clock = std::chrono::steady_clock;

  ScanMonitor(ScanSink& sink, ScanMonitorConfig config);
  ~ScanMonitor();  // stops the idle thread; no sink call happens after it returns
  ScanMonitor(const ScanMonitor&) = delete;
  ScanMonitor& operator=(const ScanMonitor&) = delete;

  bool is_marker(const std::string& name) const { return !config_.marker.empty() && name == config_.marker; }
  // A file `name` appeared in dir_rel (create, mknod, link, or rename into it).
  void on_create(const std::string& dir_rel, const std::string& name);
  // A file in dir_rel was written or truncated.
  void on_write(const std::string& dir_rel);
  // Explicit request: reported now, whatever the directory's activity.
  void request(const std::string& dir_rel);
  // Keep tracking consistent with directory renames and removals made through the mount.
  void on_dir_renamed(const std::string& from_rel, const std::string& to_rel);
  void on_dir_removed(const std::string& dir_rel);
  // Text for user.srsfs.state: the sink's view, or "writing" while the monitor sees activity in it.
  std::string state(const std::string& dir_rel);
  // user.srsfs.status: the sink's document, given the directories seen being written.
  std::string status_json();
  // Minimum time between two activity notes from one open file (FileHandle throttles with it).
  static constexpr std::chrono::milliseconds kWriteNoteInterval{100};

 private:
  void touch(const std::string& dir_rel);
  void complete(const std::string& dir_rel);
  void idle_loop();

  ScanSink& sink_;
  const ScanMonitorConfig config_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> active_;  // dir -> last activity
  bool stop_ = false;
  std::thread idle_thread_;  // started on first activity when idle > 0
};

}  // namespace srsfs::fs
