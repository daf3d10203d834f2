#pragma once

// A fixed set of worker threads for two kinds of work:
//
//  - Post(): queued closures run in FIFO order on the workers. For work that
//    blocks for long (loading or draining a model, preprocessing) so it never
//    runs on an I/O thread.
//  - ParallelFor(): a fork-join loop run by the calling thread together with
//    every worker, for compute kernels. The GGUF engine's forward pass runs a
//    few hundred such loops per token, so dispatch must cost microseconds and
//    allocate nothing: idle workers may spin briefly before they sleep, and the
//    loop body is passed by reference, never copied into a std::function.
//
// A ParallelFor waits until every worker has joined it, so a worker busy
// with a posted closure delays the loop until the closure returns: give a
// pool that runs parallel loops no long posted work (the engine owns a pool
// of its own).
//
// An exception thrown by a closure or a loop body is caught where it ran,
// logged once, and dropped; the thread keeps serving (a throwing task must
// not take the process down through std::terminate).
//
// Thread-safety: Post() may be called from any thread. ParallelFor() must be
// called from one thread at a time (its body runs concurrently on all
// threads). The destructor runs the closures still queued, then joins.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace inferd {

class ThreadPool {
 public:
  // Starts `num_workers` worker threads (none for a negative count). Without
  // workers, Post() runs the closure on the calling thread and ParallelFor()
  // runs every task there.
  // `spin_when_idle`: a worker that runs out of work spins about a
  // millisecond before it sleeps, so the next ParallelFor starts in
  // microseconds. Only for pools that run parallel loops back to back (the
  // GGUF engine's); a pool of posted closures would burn a core after each.
  explicit ThreadPool(int num_workers, bool spin_when_idle = false);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_workers() const { return static_cast<int>(workers_.size()); }
  // Threads a ParallelFor runs on: the workers plus the caller.
  int parallelism() const { return num_workers() + 1; }

  // Queues `task` to run on a worker.
  void Post(std::function<void()> task);

  // Calls body(task, thread) for task in [0, num_tasks), spreading tasks over
  // the caller and the workers; `thread` in [0, parallelism()) indexes
  // per-thread scratch (0 is the caller). Returns when every task has
  // finished.
  template <typename Body>
  void ParallelFor(int num_tasks, const Body& body) {
    RunLoop(num_tasks, &Invoke<Body>, &body);
  }

 private:
  using Trampoline = void (*)(const void* body, int task, int thread);
  template <typename Body>
  static void Invoke(const void* body, int task, int thread) {
    (*static_cast<const Body*>(body))(task, thread);
  }
  void RunLoop(int num_tasks, Trampoline fn, const void* body);
  void Work(int thread);
  void DrainLoopTasks(int thread);
  // Runs one queued closure if there is one; false when the queue was empty.
  bool RunPosted();
  // True when a worker that saw loop `seen` has something to do.
  bool HasWork(uint64_t seen) const;

  std::vector<std::thread> workers_;
  const int idle_spins_;
  // The current loop; published by incrementing generation_.
  Trampoline fn_ = nullptr;
  const void* body_ = nullptr;
  int num_tasks_ = 0;
  std::atomic<int> next_task_{0};
  std::atomic<int> busy_workers_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> queued_{0};  // tasks_.size(), readable without mu_
  std::atomic<bool> stopping_{false};

  // Guards the queue and the sleep/wake handshake; the loop's fast path
  // takes it once per loop to publish, never per task.
  absl::Mutex mu_;
  absl::CondVar wake_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  int sleepers_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace inferd
