#pragma once

// JobWorkerPool: N threads that take jobs from a JobStore and run them
// through an injected executor, recording each attempt's outcome (success,
// retry with backoff, failure, cancellation) back in the store.
//
// The executor is where the server plugs in "run this request body through
// the synchronous route and the per-model scheduler": it receives the job
// (with its input body) and a JobCancellation, blocks until the route has
// answered, and returns a JobOutcome. It runs on a pool thread, so
// `workers` (--job-workers) bounds how many jobs run at once and keeps
// synchronous traffic's latency.
//
// Idle workers wait on the Clock for `idle_poll`, and wake early when the
// JobEventHub (if given) reports a newly queued job: one worker per queued
// job, not all of them, so a burst of short jobs does not send every idle
// worker to the store for a job only one of them can claim (each look is a
// Lua script on Redis). Webhooks are not sent
// here: the store marks them pending and a WebhookDispatcher delivers them.
//
// Thread-safe. Start() once; Stop() (or the destructor) lets running
// executors finish, then joins. Jobs still running at a crash are recovered
// by JobStore::RecoverAfterCrash() at the next start (call it before Start).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jobs/job.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"

namespace inferd::jobs {

// Tells an executor that the client cancelled the running job. An executor
// that can stop early (e.g. a generation loop) polls requested() or
// registers nothing and just finishes. Thread-safe.
class JobCancellation {
 public:
  bool requested() const { return requested_.load(std::memory_order_acquire); }
  void Request() { requested_.store(true, std::memory_order_release); }

 private:
  std::atomic<bool> requested_{false};
};

class JobWorkerPool {
 public:
  using Executor =
      std::function<JobOutcome(const Job& job, const JobCancellation& cancel)>;

  struct Options {
    int workers = 2;  // --job-workers; >= 1
    // Longest an idle worker waits before looking again (retry backoffs
    // that come due are found this way).
    absl::Duration idle_poll = absl::Milliseconds(200);
    // Whether the executor honours JobCancellation; decides what Cancel()
    // answers for running jobs.
    bool interruptible = false;
    std::string name = "worker";    // worker names: "<name>-<index>"
    Clock* clock = nullptr;         // not owned; defaults to the real clock
    JobEventHub* events = nullptr;  // not owned; optional wake-ups
  };

  struct Stats {
    uint64_t claimed = 0;
    uint64_t succeeded = 0;
    uint64_t retried = 0;    // attempts that failed and were queued again
    uint64_t failed = 0;     // jobs that ended failed
    uint64_t cancelled = 0;  // jobs that ended cancelled while running
    uint64_t store_errors = 0;  // claims/finishes the store refused
    int running = 0;
  };

  // `store` is not owned and must outlive the pool.
  static absl::StatusOr<std::unique_ptr<JobWorkerPool>> Create(
      Options options, JobStore* store, Executor executor);
  ~JobWorkerPool();

  void Start();
  void Stop();

  // DELETE /v1/jobs/{id}: cancels a queued job; for a job running here,
  // signals its JobCancellation. `interrupted` tells the client whether the
  // running job will be stopped (interruptible executor) or will finish.
  struct CancelReply {
    CancelResult store_result;
    bool interrupted = false;
  };
  absl::StatusOr<CancelReply> Cancel(std::string_view id);

  // Wakes one idle worker (a job was submitted without an event hub).
  void Notify();

  Stats stats() const;

 private:
  JobWorkerPool(Options options, JobStore* store, Executor executor);
  void WorkerLoop(int index);
  // Runs one claimed job to its recorded outcome.
  void Run(const Job& job);

  const Options options_;
  JobStore* const store_;
  const Executor executor_;
  Clock* const clock_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Wake-ups not yet taken: one per queued job, at most one per worker. A
  // worker that takes one looks again at once, even if it was looking when
  // the job arrived.
  int pending_wakes_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::shared_ptr<JobCancellation>> running_
      ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);

  std::vector<std::thread> threads_;
  JobEventHub::Subscription subscription_;
};

}  // namespace inferd::jobs
