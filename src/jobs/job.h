#pragma once

// The job model of the durable async-inference queue: what a job is, its
// state machine, and the value types that cross the JobStore interface.
//
// State machine (the only transitions a JobStore makes):
//
//   queued ──claim──> running ──complete──> succeeded
//     │                 │ ├──fail, attempts left──> queued (not before
//     │                 │ │                          now + backoff)
//     │                 │ └──fail, none left / permanent──> failed
//     │                 └──cancel acknowledged by the executor──> cancelled
//     └──cancel──> cancelled
//   running ──crash recovery / lease expiry──> queued (at least once)
//
// succeeded, failed and cancelled are final. Every attempt (one claim) is
// kept with its error: a failed job's attempts are its dead-letter record.
//
// Plain value types; not thread-safe to mutate, safe to read from many
// threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace inferd::jobs {

enum class JobStatus { kQueued = 0, kRunning, kSucceeded, kFailed, kCancelled };
inline constexpr int kJobStatusCount = 5;

// "queued", "running", "succeeded", "failed", "cancelled".
std::string_view JobStatusName(JobStatus status);
std::optional<JobStatus> JobStatusFromName(std::string_view name);
bool IsFinal(JobStatus status);

// Lower value runs first.
enum class JobPriority { kHigh = 0, kNormal = 1, kLow = 2 };
inline constexpr int kJobPriorityCount = 3;

// "high", "normal", "low".
std::string_view JobPriorityName(JobPriority priority);
std::optional<JobPriority> JobPriorityFromName(std::string_view name);

enum class WebhookStatus {
  kNone = 0,   // no webhook URL
  kWaiting,    // the job is not final yet
  kPending,    // final; delivery due (retrying after failures)
  kDelivered,
  kFailed,     // gave up after the dispatcher's max attempts
};
std::string_view WebhookStatusName(WebhookStatus status);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// An HTTP request or response body with what is needed to replay or resend
// it byte for byte. No HTTP library types.
struct JobPayload {
  int http_status = 0;       // responses only
  std::string content_type;  // e.g. "application/json"
  HeaderList headers;        // body-describing headers only (for v2 binary:
                             // Inference-Header-Content-Length)
  std::string body;          // exact bytes
};

// What to run: the synchronous route a job replays.
struct JobRequest {
  std::string model;
  std::string version;  // empty: the version the route would pick
  std::string route;    // "infer", "predict", ...
  JobPayload input;
};

// What a client submits.
struct JobSpec {
  JobRequest request;
  JobPriority priority = JobPriority::kNormal;
  std::string idempotency_key;  // empty: none
  std::string webhook_url;      // empty: none
  int max_attempts = 0;         // 0: the store's default (--job-max-attempts)
  // The API key that submitted it (its name); empty when keys are off.
  std::string owner;
};

// One claim of a job by a worker.
struct JobAttempt {
  int number = 0;  // 1-based
  absl::Time started = absl::InfinitePast();
  absl::Time finished = absl::InfinitePast();  // InfinitePast while running
  std::string error;  // empty when the attempt succeeded or is running
  // Ended by a restart or an expired lease, not by the executor; such
  // attempts do not count against max_attempts.
  bool interrupted = false;
};

struct WebhookState {
  WebhookStatus status = WebhookStatus::kNone;
  int attempts = 0;
  std::string last_error;
  absl::Time next_attempt = absl::InfinitePast();
};

struct Job {
  std::string id;
  JobStatus status = JobStatus::kQueued;
  JobPriority priority = JobPriority::kNormal;
  JobRequest request;
  std::string idempotency_key;
  // JobFingerprint() of the submission (job_fingerprint.h); empty for jobs
  // stored before fingerprints existed.
  std::string request_fingerprint;
  std::string webhook_url;
  WebhookState webhook;
  std::string owner;  // JobSpec::owner

  // Incremented by every state change; lets an event consumer drop events
  // older than the document it already sent.
  int64_t revision = 0;

  absl::Time created = absl::InfinitePast();
  absl::Time started = absl::InfinitePast();   // latest attempt's start
  absl::Time finished = absl::InfinitePast();  // when it became final
  absl::Time not_before = absl::InfinitePast();  // retry backoff
  absl::Time lease_expires = absl::InfinitePast();  // while running

  int max_attempts = 0;
  std::vector<JobAttempt> attempts;
  bool cancel_requested = false;  // DELETE on a running job
  std::string worker;             // who runs it (or ran it last)

  std::optional<JobPayload> result;  // the route's answer, when there was one
  std::string error;                 // why it failed or was cancelled

  int attempt_count() const { return static_cast<int>(attempts.size()); }
  // Attempts that ended in an executor failure (what max_attempts bounds).
  int failed_attempt_count() const;
};

// What an executor reports for one attempt.
struct JobOutcome {
  enum class Kind {
    kSucceeded,         // `result` is the route's answer (any HTTP status
                        // the route chose to answer with, e.g. 200 or 400)
    kRetryableFailure,  // transient (model unavailable, queue full, 5xx):
                        // retried with backoff while attempts remain
    kPermanentFailure,  // retrying cannot help
    kCancelled,         // the executor honoured a cancel request
  };
  Kind kind = Kind::kSucceeded;
  JobPayload result;  // kSucceeded; optional detail for failures
  std::string error;  // failures and cancellations

  static JobOutcome Success(JobPayload result) {
    return JobOutcome{Kind::kSucceeded, std::move(result), ""};
  }
  static JobOutcome Retryable(std::string error) {
    return JobOutcome{Kind::kRetryableFailure, {}, std::move(error)};
  }
  static JobOutcome Permanent(std::string error) {
    return JobOutcome{Kind::kPermanentFailure, {}, std::move(error)};
  }
  static JobOutcome Cancelled() {
    return JobOutcome{Kind::kCancelled, {}, "cancelled while running"};
  }
};

// A new random 128-bit job id as 22 URL-safe base64 characters
// ([A-Za-z0-9_-], no padding). Thread-safe; uses a CSPRNG-seeded generator.
std::string NewJobId();

// Whether `id` looks like a job id NewJobId() could return (cheap check
// before touching the store for a path parameter).
bool IsValidJobId(std::string_view id);

}  // namespace inferd::jobs
