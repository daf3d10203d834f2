#include "common/thread_pool.h"

#include <exception>
#include <utility>

#include "spdlog/spdlog.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace inferd {
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

void LogTaskException(const char* what) {
  spdlog::error("thread pool: a task threw and was abandoned: {}", what);
}

// Runs `call` and swallows (logs) whatever it throws.
template <typename Call>
inline void RunGuarded(const Call& call) {
  try {
    call();
  } catch (const std::exception& e) {
    LogTaskException(e.what());
  } catch (...) {
    LogTaskException("an exception not derived from std::exception");
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_workers, bool spin_when_idle)
    : shares_(new Share[std::max(num_workers, 0) + 1]),
      idle_spins_(spin_when_idle ? kSpins : 0) {
  for (int t = 1; t <= num_workers; ++t) {
    workers_.emplace_back([this, t] { Work(t); });
  }
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_.store(true, std::memory_order_release);
  }
  wake_.SignalAll();
  for (std::thread& w : workers_) w.join();
}

void ThreadPool::Post(std::function<void()> task) {
  if (workers_.empty()) {
    RunGuarded(task);
    return;
  }
  bool wake;
  {
    absl::MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
    queued_.fetch_add(1, std::memory_order_release);
    wake = sleepers_ > 0;
  }
  if (wake) wake_.Signal();
}

bool ThreadPool::RunPosted() {
  std::function<void()> task;
  {
    absl::MutexLock lock(&mu_);
    if (tasks_.empty()) return false;
    task = std::move(tasks_.front());
    tasks_.pop_front();
    queued_.fetch_sub(1, std::memory_order_relaxed);
  }
  RunGuarded(task);
  return true;
}

void ThreadPool::DrainLoopTasks(int thread) {
  while (true) {
    const int task = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (task >= num_tasks_) break;
    RunGuarded([&] { fn_(body_, task, thread); });
  }
}

void ThreadPool::RunLoop(int num_tasks, Trampoline fn, const void* body) {
  if (num_tasks <= 0) return;
  if (workers_.empty() || num_tasks == 1) {
    for (int t = 0; t < num_tasks; ++t) RunGuarded([&] { fn(body, t, 0); });
    return;
  }
  fn_ = fn;
  body_ = body;
  num_tasks_ = num_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  busy_workers_.store(static_cast<int>(workers_.size()),
                      std::memory_order_relaxed);
  bool any_sleeping;
  {
    // Under the mutex so a worker between its check and its wait cannot
    // miss the new generation.
    absl::MutexLock lock(&mu_);
    generation_.fetch_add(1, std::memory_order_release);
    any_sleeping = sleepers_ > 0;
  }
  if (any_sleeping) wake_.SignalAll();
  DrainLoopTasks(0);
  for (int spin = 0; busy_workers_.load(std::memory_order_acquire) != 0;
       ++spin) {
    Backoff(spin);
  }
}

bool ThreadPool::HasWork(uint64_t seen) const {
  return generation_.load(std::memory_order_acquire) != seen ||
         queued_.load(std::memory_order_acquire) > 0 ||
         stopping_.load(std::memory_order_acquire);
}

void ThreadPool::Work(int thread) {
  uint64_t seen = 0;
  while (true) {
    for (int spin = 0; !HasWork(seen) && spin < idle_spins_; ++spin) {
      Backoff(spin);
    }
    if (!HasWork(seen)) {
      absl::MutexLock lock(&mu_);
      ++sleepers_;
      while (!HasWork(seen)) wake_.Wait(&mu_);
      --sleepers_;
      continue;
    }
    // A loop first: its caller is spinning until every worker checks in.
    const uint64_t g = generation_.load(std::memory_order_acquire);
    if (g != seen) {
      seen = g;
      DrainLoopTasks(thread);
      busy_workers_.fetch_sub(1, std::memory_order_acq_rel);
      continue;
    }
    if (RunPosted()) continue;
    if (stopping_.load(std::memory_order_acquire) &&
        queued_.load(std::memory_order_acquire) == 0) {
      return;
    }
  }
}

}  // namespace inferd
