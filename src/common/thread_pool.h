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
// Thread-safety: Post() may be called from any thread. ParallelFor() and
// ParallelRange() must be called from one thread at a time (their bodies run
// concurrently on all threads). The destructor runs the closures still queued, then joins.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
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

  // Calls body(begin, end, thread) on pieces that together cover [0, n)
  // once, each piece a multiple of `grain` long (the last may be shorter).
  // Each thread walks a contiguous share of its own from the front, taking
  // half of what is left of it at a time, so it reads one stream of memory;
  // a thread whose share is done takes `grain` pieces from the back of the
  // others' until none is left. For loops bound by memory bandwidth (the
  // GGUF engine's decode): one stream per thread, and no thread idles while
  // another still has work. Returns when every piece has finished.
  template <typename Body>
  void ParallelRange(int64_t n, int64_t grain, const Body& body) {
    if (n <= 0) return;
    const int64_t units = (n + grain - 1) / grain;
    const int shares = static_cast<int>(
        std::min<int64_t>(units, static_cast<int64_t>(parallelism())));
    auto run = [&](int64_t u0, int64_t u1, int thread) {
      body(u0 * grain, std::min(u1 * grain, n), thread);
    };
    if (shares <= 1) {
      run(0, units, 0);
      return;
    }
    for (int s = 0; s < shares; ++s) {
      shares_[s].range.store(
          Share::Pack(units * s / shares, units * (s + 1) / shares),
          std::memory_order_relaxed);
    }
    ParallelFor(shares, [&](int share, int thread) {
      int64_t u0, u1;
      while (shares_[share].TakeFront(&u0, &u1)) run(u0, u1, thread);
      for (int k = 1; k < shares; ++k) {
        Share& other = shares_[(share + k) % shares];
        while (other.TakeBack(&u0, &u1)) run(u0, u1, thread);
      }
    });
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

  // One thread's share of a ParallelRange: [front, back) of units not yet
  // taken, in one atomic word.
  struct alignas(64) Share {
    std::atomic<uint64_t> range{0};
    static uint64_t Pack(int64_t front, int64_t back) {
      return static_cast<uint64_t>(front) << 32 | static_cast<uint64_t>(back);
    }
    // Half of what is left (at least one unit) from the front.
    bool TakeFront(int64_t* u0, int64_t* u1) {
      return Take(/*front=*/true, u0, u1);
    }
    // One unit from the back.
    bool TakeBack(int64_t* u0, int64_t* u1) {
      return Take(/*front=*/false, u0, u1);
    }
    bool Take(bool front, int64_t* u0, int64_t* u1) {
      uint64_t v = range.load(std::memory_order_relaxed);
      while (true) {
        const int64_t f = static_cast<int64_t>(v >> 32);
        const int64_t b = static_cast<int64_t>(v & 0xffffffffu);
        if (f >= b) return false;
        const int64_t take = front ? std::max<int64_t>(1, (b - f) / 2) : 1;
        const uint64_t next = front ? Pack(f + take, b) : Pack(f, b - take);
        if (range.compare_exchange_weak(v, next, std::memory_order_relaxed)) {
          *u0 = front ? f : b - take;
          *u1 = front ? f + take : b;
          return true;
        }
      }
    }
  };

  std::vector<std::thread> workers_;
  std::unique_ptr<Share[]> shares_;  // parallelism() of them
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
