#pragma once

// The state changes of job.h's state machine, as functions on a Job value,
// shared by every JobStore so that the SQLite and the Redis store apply the
// same rules (retries and backoff, attempts, dead letter, cancel, leases,
// webhooks, idempotency). A store loads a job, applies one of these, and
// writes the result back atomically in its own way.
//
// Pure functions of their arguments; thread-safe.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "jobs/job.h"
#include "jobs/job_store.h"

namespace inferd::jobs {

// Retry backoff: initial * multiplier^(failed attempts - 1), capped.
struct RetryPolicy {
  absl::Duration initial = absl::Seconds(1);
  double multiplier = 2.0;
  absl::Duration max = absl::Minutes(5);

  absl::Duration Backoff(int failed_attempts) const;
  // InvalidArgument unless initial >= 0, multiplier >= 1, max >= initial.
  absl::Status Validate() const;
};

// A new queued job for `spec` (moved from), created at `now`.
Job NewJob(JobSpec&& spec, std::string fingerprint, int max_attempts, absl::Time now);

// Whether `existing`, the job that holds spec.idempotency_key, may be
// returned for a new submission of `spec`: AlreadyExists when another owner
// holds the key (without naming its job) or when the request differs.
absl::Status CheckIdempotentResubmission(const Job& existing, const JobSpec& spec,
                                         const std::string& fingerprint);

// DELETE on a job. Sets `changed` when the job must be written back.
CancelOutcome ApplyCancel(Job& job, absl::Time now, bool& changed);

// A worker claims a queued job: a new attempt under a lease.
void ApplyClaim(Job& job, absl::Time now, absl::Duration lease, std::string_view worker);

// FailedPrecondition (naming the job and its state) unless `job` is running
// attempt `attempt`.
absl::Status CheckRunningAttempt(const Job& job, int attempt);

// The end of the running attempt (JobStore::Finish).
void ApplyFinish(Job& job, const JobOutcome& outcome, absl::Time now, const RetryPolicy& retry);

// A running job goes back to queued (crash recovery, expired lease); its
// interrupted attempt does not count against max_attempts.
void ApplyRequeue(Job& job, absl::Time now, std::string_view reason);

// One webhook delivery attempt (JobStore::RecordWebhookAttempt).
void ApplyWebhookAttempt(Job& job, const absl::Status& delivery, absl::Time next_attempt);

inline constexpr std::string_view kInterruptedByRestart =
    "interrupted: the server stopped while it ran";
inline constexpr std::string_view kInterruptedByLease =
    "interrupted: its worker's lease expired";

}  // namespace inferd::jobs
