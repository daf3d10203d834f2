#include "jobs/job_worker_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "common/strings.h"

namespace inferd::jobs {

absl::StatusOr<std::unique_ptr<JobWorkerPool>> JobWorkerPool::Create(
    Options options, JobStore* store, Executor executor) {
  if (store == nullptr || !executor) {
    return absl::InvalidArgumentError(
        "job worker pool: store and executor are required");
  }
  if (options.workers < 1) {
    return absl::InvalidArgumentError("job worker pool: workers must be >= 1");
  }
  if (options.idle_poll <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("job worker pool: idle_poll must be > 0");
  }
  if (options.clock == nullptr) options.clock = RealClock::Get();
  return std::unique_ptr<JobWorkerPool>(
      new JobWorkerPool(std::move(options), store, std::move(executor)));
}

JobWorkerPool::JobWorkerPool(Options options, JobStore* store,
                             Executor executor)
    : options_(std::move(options)),
      store_(store),
      executor_(std::move(executor)),
      clock_(options_.clock) {}

JobWorkerPool::~JobWorkerPool() { Stop(); }

void JobWorkerPool::Start() {
  if (options_.events != nullptr) {
    subscription_ = options_.events->SubscribeAll([this](const JobEvent& e) {
      if (e.status == JobStatus::kQueued) Notify();
    });
  }
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

void JobWorkerPool::Stop() {
  subscription_.Cancel();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void JobWorkerPool::Notify() {
  absl::MutexLock lock(&mu_);
  pending_wakes_ = std::min(pending_wakes_ + 1, options_.workers);
}

JobWorkerPool::Stats JobWorkerPool::stats() const {
  absl::MutexLock lock(&mu_);
  Stats stats = stats_;
  stats.running = static_cast<int>(running_.size());
  return stats;
}

absl::StatusOr<JobWorkerPool::CancelReply> JobWorkerPool::Cancel(
    std::string_view id) {
  absl::StatusOr<CancelResult> result = store_->Cancel(id);
  if (!result.ok()) return result.status();
  CancelReply reply{std::move(*result), false};
  if (reply.store_result.outcome == CancelOutcome::kCancelRequested &&
      options_.interruptible) {
    absl::MutexLock lock(&mu_);
    auto it = running_.find(std::string(id));
    if (it != running_.end()) {
      it->second->Request();
      reply.interrupted = true;
    }
  }
  return reply;
}

void JobWorkerPool::WorkerLoop(int index) {
  const std::string name = StrCat(options_.name, "-", index);
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    // The poll deadline counts from before the look, so time that passes
    // during it (a retry backoff coming due) is not slept through.
    const absl::Time looked = clock_->Now();
    absl::StatusOr<std::optional<Job>> claimed = store_->ClaimNext(name);
    if (claimed.ok() && claimed->has_value()) {
      Run(**claimed);
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (!claimed.ok()) ++stats_.store_errors;
    // Sleep until a wake-up is there to take (one that came during our look
    // counts), or the poll interval.
    auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || pending_wakes_ > 0;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken), looked + options_.idle_poll);
    if (pending_wakes_ > 0) --pending_wakes_;
  }
}

void JobWorkerPool::Run(const Job& job) {
  auto cancel = std::make_shared<JobCancellation>();
  if (job.cancel_requested) cancel->Request();
  {
    absl::MutexLock lock(&mu_);
    ++stats_.claimed;
    running_[job.id] = cancel;
  }
  JobOutcome outcome;
  try {
    outcome = executor_(job, *cancel);
  } catch (const std::exception& e) {
    // Executors should return outcomes; this is a last guard so a bug in
    // one job does not take a worker thread down. Not retried: what threw
    // once (std::bad_alloc on a huge request, a bug) throws again, and each
    // attempt would cost the server as much.
    outcome = JobOutcome::Permanent(StrCat("executor threw: ", e.what()));
  } catch (...) {
    outcome = JobOutcome::Permanent("executor threw a non-standard exception");
  }
  absl::StatusOr<Job> finished =
      store_->Finish(job.id, job.attempt_count(), outcome);

  absl::MutexLock lock(&mu_);
  running_.erase(job.id);
  if (!finished.ok()) {
    ++stats_.store_errors;
    return;
  }
  switch (finished->status) {
    case JobStatus::kSucceeded:
      ++stats_.succeeded;
      break;
    case JobStatus::kQueued:
      ++stats_.retried;
      break;
    case JobStatus::kFailed:
      ++stats_.failed;
      break;
    case JobStatus::kCancelled:
      ++stats_.cancelled;
      break;
    case JobStatus::kRunning:
      break;
  }
}

}  // namespace inferd::jobs
