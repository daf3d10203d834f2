#pragma once

// JobStore: durable storage and state transitions of async inference jobs
// (see job.h for the state machine). SqliteJobStore is the embedded
// implementation; a Redis one can follow behind the same interface.
//
// Every mutation is durable when it returns (or calls back): a submission
// that got its 202 survives kill -9. Mutations publish a JobEvent to the
// store's JobEventHub, if it has one, after they commit.
//
// Errors: NotFound (no such job), FailedPrecondition (a stale claim: the job
// is no longer running under that attempt), InvalidArgument (bad spec or
// query), AlreadyExists (an idempotency key reused for a different
// request), Unavailable/ResourceExhausted/Internal for storage failures,
// DataLoss for a corrupt database.
//
// Thread-safe: all methods may be called from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobs/job.h"

namespace inferd::jobs {

struct SubmitResult {
  Job job;
  // false when the idempotency key matched an existing job of the same
  // request (same JobFingerprint), which is returned as it is now (any
  // state).
  bool created = true;
};

struct ListQuery {
  std::optional<JobStatus> status;  // nullopt: any
  std::string model;                // empty: any
  std::string owner;                // empty: any owner
  int limit = 50;                   // 1..1000
  std::string cursor;               // ListPage::next_cursor of the last page
  // false leaves input and result bodies empty (a listing rarely needs them).
  bool include_bodies = false;
};

// Newest first, ordered by (created, id) descending.
struct ListPage {
  std::vector<Job> jobs;
  std::string next_cursor;  // empty on the last page; URL-safe
};

enum class CancelOutcome {
  kCancelled,        // was queued; now cancelled
  kCancelRequested,  // is running; recorded in cancel_requested. Whether it
                     // is interrupted or finishes is the worker pool's call
                     // (JobWorkerPool::Cancel says which)
  kAlreadyFinal,     // succeeded, failed or cancelled before; unchanged
};

struct CancelResult {
  CancelOutcome outcome = CancelOutcome::kCancelled;
  Job job;  // after the call
};

// Gauges for metrics.
struct JobCounts {
  // Jobs per (model, status); absent pairs are zero.
  std::map<std::pair<std::string, JobStatus>, int64_t> by_model_status;
  int64_t by_status[kJobStatusCount] = {};
  // Creation time of the oldest queued job; InfiniteFuture when none.
  absl::Time oldest_queued = absl::InfiniteFuture();
};

class JobStore {
 public:
  virtual ~JobStore() = default;

  using SubmitCallback = std::function<void(absl::StatusOr<SubmitResult>)>;

  // Stores a new queued job, or returns the job that already has
  // spec.idempotency_key when it was submitted with the same request
  // (job_fingerprint.h); AlreadyExists, naming the key, when the key's job
  // is a different request. `done` runs once the job is durable (or failed),
  // on a store thread; it must not block nor call the store's blocking
  // methods (post the answer to the connection's executor). For async HTTP
  // handlers.
  virtual void SubmitAsync(JobSpec spec, SubmitCallback done) = 0;

  // Blocking SubmitAsync.
  absl::StatusOr<SubmitResult> Submit(JobSpec spec);

  virtual absl::StatusOr<Job> Get(std::string_view id) = 0;

  using GetCallback = std::function<void(absl::StatusOr<Job>)>;
  // Get() for async handlers. Where async_reads() is true, this returns at
  // once and `done` runs later on a store thread, under SubmitAsync's rules
  // (the Redis store: the read shares a round trip with the others in
  // flight). Otherwise it runs Get() on the calling thread, which blocks:
  // callers post it to a thread of their own.
  virtual void GetAsync(std::string_view id, GetCallback done) { done(Get(id)); }
  virtual bool async_reads() const { return false; }
  virtual absl::StatusOr<ListPage> List(const ListQuery& query) = 0;

  virtual absl::StatusOr<CancelResult> Cancel(std::string_view id) = 0;

  // Marks the next runnable queued job running under a lease for `worker`,
  // starting a new attempt, and returns it (with its input body); nullopt
  // when none is runnable now. Order: priority, with age-based promotion
  // (see the implementation's Options), then age; jobs whose retry backoff
  // has not passed are skipped.
  virtual absl::StatusOr<std::optional<Job>> ClaimNext(
      std::string_view worker) = 0;

  // Extends the lease of a running attempt (long jobs).
  virtual absl::Status RenewLease(std::string_view id, int attempt) = 0;

  // Records the end of attempt `attempt` (Job::attempt_count() at claim):
  //   kSucceeded         -> succeeded, with result
  //   kRetryableFailure  -> queued again after backoff while attempts remain
  //                         (and no cancel was requested), else failed
  //   kPermanentFailure  -> failed
  //   kCancelled         -> cancelled
  // Returns the job after the change. FailedPrecondition when the job is
  // not running attempt `attempt` any more (it was recovered or reclaimed).
  virtual absl::StatusOr<Job> Finish(std::string_view id, int attempt,
                                     const JobOutcome& outcome) = 0;
  absl::StatusOr<Job> Complete(std::string_view id, int attempt,
                               JobPayload result) {
    return Finish(id, attempt, JobOutcome::Success(std::move(result)));
  }
  absl::StatusOr<Job> Fail(std::string_view id, int attempt,
                           std::string error, bool retryable) {
    return Finish(id, attempt,
                  retryable ? JobOutcome::Retryable(std::move(error))
                            : JobOutcome::Permanent(std::move(error)));
  }

  // At startup, before workers start: every job left running by a previous
  // process goes back to queued (its interrupted attempt is recorded and
  // does not count against max_attempts). Returns how many.
  virtual absl::StatusOr<int> RecoverAfterCrash() = 0;

  // Running jobs whose lease has expired go back to queued, like
  // RecoverAfterCrash. Returns how many.
  virtual absl::StatusOr<int> RequeueExpiredLeases() = 0;

  // Deletes final jobs that finished more than the result TTL ago. Returns
  // how many.
  virtual absl::StatusOr<int> PurgeExpired() = 0;

  // Final jobs with a webhook delivery due now, oldest due first.
  virtual absl::StatusOr<std::vector<Job>> DueWebhooks(int limit) = 0;

  // Records one delivery attempt. `next_attempt` is when to retry after a
  // failure; InfiniteFuture gives up (webhook status failed).
  virtual absl::Status RecordWebhookAttempt(std::string_view id,
                                            const absl::Status& delivery,
                                            absl::Time next_attempt) = 0;

  virtual absl::StatusOr<JobCounts> Counts() = 0;
};

}  // namespace inferd::jobs
