#pragma once

// A fixed set of threads running queued closures in FIFO order. Used for
// work that blocks for long (loading or draining a model) so it never runs
// on an I/O thread. Thread-safe; the destructor finishes queued work.

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace inferd {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  ~ThreadPool();

  void Post(std::function<void()> task);

 private:
  void Run();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace inferd
