// A small fixed pool of threads with a bounded queue: work that does not fit is refused, never blocks the
// submitter (prefetch is a hint; a reader must not wait for it).
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace srsfs::cache {

class WorkerPool {
 public:
  WorkerPool(unsigned threads, size_t max_queued);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task`; false when the queue is full or the pool stopped. Tasks must not throw.
  bool try_submit(std::function<void()> task);
  // Drops queued tasks, waits for running ones, joins the threads. Idempotent.
  void stop();

 private:
  void run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  size_t max_queued_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace srsfs::cache
