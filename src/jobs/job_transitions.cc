#include "jobs/job_transitions.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/strings.h"
#include "jobs/job_fingerprint.h"

namespace inferd::jobs {
namespace {

// A final job with a webhook: its delivery is due now.
void MarkWebhookDue(Job& job, absl::Time now) {
  if (job.webhook.status == WebhookStatus::kWaiting) {
    job.webhook.status = WebhookStatus::kPending;
    job.webhook.next_attempt = now;
  }
}

}  // namespace

absl::Duration RetryPolicy::Backoff(int failed_attempts) const {
  double factor = std::pow(multiplier, std::max(0, failed_attempts - 1));
  return std::min(initial * factor, max);
}

absl::Status RetryPolicy::Validate() const {
  if (initial < absl::ZeroDuration() || multiplier < 1.0 || max < initial) {
    return absl::InvalidArgumentError(
        "job store: retry backoff must be >= 0, multiplier >= 1, max >= initial");
  }
  return absl::OkStatus();
}

Job NewJob(JobSpec&& spec, std::string fingerprint, int max_attempts, absl::Time now) {
  Job job;
  job.request_fingerprint = std::move(fingerprint);
  job.id = NewJobId();
  job.status = JobStatus::kQueued;
  job.priority = spec.priority;
  job.request = std::move(spec.request);
  job.idempotency_key = std::move(spec.idempotency_key);
  job.webhook_url = std::move(spec.webhook_url);
  job.owner = std::move(spec.owner);
  job.webhook.status = job.webhook_url.empty() ? WebhookStatus::kNone : WebhookStatus::kWaiting;
  job.created = now;
  job.max_attempts = max_attempts;
  return job;
}

absl::Status CheckIdempotentResubmission(const Job& existing, const JobSpec& spec,
                                         const std::string& fingerprint) {
  if (existing.owner != spec.owner) {
    // Not another owner's job, nor its id: only that the key is taken.
    return absl::AlreadyExistsError(ToAbsl(StrCat(
        "Idempotency-Key \"", spec.idempotency_key,
        "\" was already used by another API key; use a new key")));
  }
  return CheckSameRequest(existing, fingerprint);
}

CancelOutcome ApplyCancel(Job& job, absl::Time now, bool& changed) {
  changed = false;
  if (IsFinal(job.status)) return CancelOutcome::kAlreadyFinal;
  if (job.status == JobStatus::kRunning) {
    if (!job.cancel_requested) {
      job.cancel_requested = true;
      changed = true;
    }
    return CancelOutcome::kCancelRequested;
  }
  job.status = JobStatus::kCancelled;
  job.finished = now;
  job.error = "cancelled by the client before it ran";
  MarkWebhookDue(job, now);
  changed = true;
  return CancelOutcome::kCancelled;
}

void ApplyClaim(Job& job, absl::Time now, absl::Duration lease, std::string_view worker) {
  JobAttempt attempt;
  attempt.number = job.attempt_count() + 1;
  attempt.started = now;
  job.attempts.push_back(std::move(attempt));
  job.status = JobStatus::kRunning;
  job.started = now;
  job.lease_expires = now + lease;
  job.worker = std::string(worker);
}

absl::Status CheckRunningAttempt(const Job& job, int attempt) {
  if (job.status != JobStatus::kRunning || job.attempt_count() != attempt) {
    return absl::FailedPreconditionError(ToAbsl(StrCat(
        "job \"", job.id, "\" is not running attempt ", attempt, " (it is ",
        JobStatusName(job.status), " at attempt ", job.attempt_count(), ")")));
  }
  return absl::OkStatus();
}

void ApplyFinish(Job& job, const JobOutcome& outcome, absl::Time now, const RetryPolicy& retry) {
  JobAttempt& current = job.attempts.back();
  current.finished = now;
  job.lease_expires = absl::InfinitePast();
  const bool has_result = outcome.result.http_status != 0 || !outcome.result.body.empty();
  switch (outcome.kind) {
    case JobOutcome::Kind::kSucceeded:
      job.status = JobStatus::kSucceeded;
      job.result = outcome.result;
      job.error.clear();
      break;
    case JobOutcome::Kind::kCancelled:
      current.error = outcome.error.empty() ? "cancelled" : outcome.error;
      job.status = JobStatus::kCancelled;
      job.error = current.error;
      break;
    case JobOutcome::Kind::kRetryableFailure:
    case JobOutcome::Kind::kPermanentFailure: {
      current.error = outcome.error.empty() ? "failed" : outcome.error;
      if (has_result) job.result = outcome.result;
      const int failed = job.failed_attempt_count();
      const bool retryable = outcome.kind == JobOutcome::Kind::kRetryableFailure &&
                             failed < job.max_attempts && !job.cancel_requested;
      if (retryable) {
        job.status = JobStatus::kQueued;
        job.not_before = now + retry.Backoff(failed);
      } else if (job.cancel_requested) {
        job.status = JobStatus::kCancelled;
        job.error = StrCat("cancelled after a failed attempt: ", current.error);
      } else {
        job.status = JobStatus::kFailed;
        job.error = outcome.kind == JobOutcome::Kind::kPermanentFailure
                        ? current.error
                        : StrCat("failed after ", failed, " attempts: ", current.error);
      }
      break;
    }
  }
  if (IsFinal(job.status)) {
    job.finished = now;
    MarkWebhookDue(job, now);
  }
}

void ApplyRequeue(Job& job, absl::Time now, std::string_view reason) {
  if (!job.attempts.empty()) {
    job.attempts.back().finished = now;
    job.attempts.back().error = std::string(reason);
    job.attempts.back().interrupted = true;
  }
  job.status = JobStatus::kQueued;
  job.not_before = now;
  job.lease_expires = absl::InfinitePast();
}

void ApplyWebhookAttempt(Job& job, const absl::Status& delivery, absl::Time next_attempt) {
  ++job.webhook.attempts;
  if (delivery.ok()) {
    job.webhook.status = WebhookStatus::kDelivered;
    job.webhook.last_error.clear();
    job.webhook.next_attempt = absl::InfinitePast();
    return;
  }
  job.webhook.last_error = std::string(delivery.message());
  if (next_attempt == absl::InfiniteFuture()) {
    job.webhook.status = WebhookStatus::kFailed;
    job.webhook.next_attempt = absl::InfinitePast();
  } else {
    job.webhook.status = WebhookStatus::kPending;
    job.webhook.next_attempt = next_attempt;
  }
}

}  // namespace inferd::jobs
