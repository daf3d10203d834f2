#include "backend/llm/thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace inferd::llm {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// Spin iterations before a worker sleeps: about a millisecond, longer than
// the gap between the loops of one forward pass. Every kYieldEvery spins the
// thread yields, so an oversubscribed machine still runs the thread that
// holds the work being waited for.
constexpr int kSpins = 20000;
constexpr int kYieldEvery = 256;

inline void Backoff(int spin) {
  if (spin % kYieldEvery == kYieldEvery - 1) {
    std::this_thread::yield();
  } else {
    CpuRelax();
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads)
    : num_threads_(num_threads < 1 ? 1 : num_threads) {
  for (int t = 1; t < num_threads_; ++t) {
    workers_.emplace_back([this, t] { Work(t); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::DrainTasks(int thread) {
  while (true) {
    const int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= num_tasks_) break;
    fn_(body_, task, thread);
  }
}

void ThreadPool::Run(int num_tasks, Trampoline fn, const void* body) {
  if (num_tasks <= 0) return;
  if (workers_.empty() || num_tasks == 1) {
    for (int t = 0; t < num_tasks; ++t) fn(body, t, 0);
    return;
  }
  fn_ = fn;
  body_ = body;
  num_tasks_ = num_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(workers_.size()));
  bool any_sleeping;
  {
    // Under the mutex so a worker between its check and its wait cannot
    // miss the new generation.
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    generation_.fetch_add(1, std::memory_order_release);
    any_sleeping = sleepers_ > 0;
  }
  if (any_sleeping) wake_.notify_all();
  DrainTasks(0);
  for (int spin = 0; busy_workers_.load(std::memory_order_acquire) != 0;
       ++spin) {
    Backoff(spin);
  }
}

void ThreadPool::Work(int thread) {
  uint64_t seen = 0;
  while (true) {
    uint64_t g = generation_.load(std::memory_order_acquire);
    for (int spin = 0; g == seen && spin < kSpins; ++spin) {
      Backoff(spin);
      g = generation_.load(std::memory_order_acquire);
    }
    if (g == seen) {
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      ++sleepers_;
      wake_.wait(lock, [&] {
        return generation_.load(std::memory_order_acquire) != seen;
      });
      --sleepers_;
      continue;
    }
    seen = g;
    if (stop_.load()) return;
    DrainTasks(thread);
    busy_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace inferd::llm
