#pragma once

// How one job attempt ends, which decides whether the job is retried (see
// jobs/job.h). Jobs run through the inference service, so a failure is an
// absl::Status and the decision is made on its code, never on HTTP:
//
//   Unavailable, ResourceExhausted, DeadlineExceeded, Aborted
//       a model loading or unloading, a full queue, a queue timeout:
//       another attempt may succeed; retried with backoff
//   everything else (InvalidArgument, NotFound, Internal: a model that
//   fails on the input, ...)
//       the same request would fail the same way: failed at once, with the
//       route's error answer kept as the job's result
//
// A route answer (HttpResponse) that the route chose to make an error (a
// :predict whose every instance failed) also fails at once.
//
// Stateless; thread-safe.

#include <string_view>

#include "absl/status/status.h"
#include "http/http_message.h"
#include "jobs/job.h"

namespace inferd {

// Whether a failure with `status` is worth another attempt.
bool IsRetryableStatus(const absl::Status& status);

// The outcome of an attempt that failed with `status` (not OK): the error
// text is "<HTTP status the route answers>: <message>".
jobs::JobOutcome JobOutcomeOfStatus(const absl::Status& status);

// The outcome of an attempt that produced the route's answer: 2xx
// succeeded with it as the result; any other status failed for good.
jobs::JobOutcome JobOutcomeOf(HttpResponse response);

// The outcome of an attempt that threw instead of answering (std::bad_alloc,
// a bug): a permanent failure naming `what`. Retrying a request that made
// the server throw would only do it again.
jobs::JobOutcome JobOutcomeOfException(std::string_view what);

}  // namespace inferd
