#pragma once

// A fixed set of compute threads that run one parallel loop at a time.
//
// The forward pass splits every matrix product over output rows and every
// attention over (token, head) pairs; that is a few hundred short parallel
// loops per token, so dispatch must cost microseconds and allocate nothing:
// workers spin briefly and then sleep on an atomic, and the loop body is
// passed by reference, never copied into a std::function.
//
// Thread-safety: ParallelFor() must be called from one thread at a time (the
// engine's step thread); the body runs concurrently on all threads.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace inferd::llm {

class ThreadPool {
 public:
  // `num_threads` counts the calling thread; 1 runs everything inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls body(task, thread) for task in [0, num_tasks), spreading tasks over
  // the threads; `thread` in [0, num_threads) indexes per-thread scratch.
  // Returns when every task has finished.
  template <typename Body>
  void ParallelFor(int num_tasks, const Body& body) {
    Run(num_tasks, &Invoke<Body>, &body);
  }

 private:
  using Trampoline = void (*)(const void* body, int task, int thread);
  template <typename Body>
  static void Invoke(const void* body, int task, int thread) {
    (*static_cast<const Body*>(body))(task, thread);
  }
  void Run(int num_tasks, Trampoline fn, const void* body);
  void Work(int thread);
  void DrainTasks(int thread);

  const int num_threads_;
  std::vector<std::thread> workers_;
  // The current loop; published by incrementing generation_.
  Trampoline fn_ = nullptr;
  const void* body_ = nullptr;
  int num_tasks_ = 0;
  std::atomic<int> next_task_{0};
  std::atomic<int> busy_workers_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> stop_{false};
  std::mutex sleep_mutex_;  // guards the sleep/wake handshake only
  std::condition_variable wake_;
  int sleepers_ = 0;  // guarded by sleep_mutex_
};

}  // namespace inferd::llm
