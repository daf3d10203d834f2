#pragma once

// The JSON documents of the /v1/jobs API: a job as clients see it, the
// submission answer, and the submission body of POST /v1/jobs.

#include <string>

#include "absl/status/statusor.h"
#include "boost/json.hpp"
#include "jobs/job.h"

namespace inferd {

// {"id", "status", "model", "version", "route", "priority", "created_at",
//  "started_at"?, "finished_at"?, "attempts": [...], "max_attempts",
//  "cancel_requested", "result"?, "result_content_type"?, "error"?,
//  "webhook"?}. `result` is the synchronous route's JSON answer as a value
// when it was JSON; other bodies (v2 binary outputs) are given as
// "result_base64". GET /v1/jobs/{id}/result has the exact bytes. The
// webhook URL and its errors are shown with credentials hidden (RedactUrl).
boost::json::object JobDocument(const jobs::Job& job);

// RFC 3339 UTC with microseconds, e.g. "2026-11-22T05:10:00.123456Z".
std::string Rfc3339(absl::Time time);

// The body of POST /v1/jobs:
// {"model", "version"?, "route"?: "infer"|"predict", "input": {...},
//  "priority"?: "high"|"normal"|"low", "webhook"?: url, "max_attempts"?}.
// InvalidArgument naming the field. Idempotency comes from the header.
absl::StatusOr<jobs::JobSpec> ParseJobSubmission(std::string_view body);

// Whether `url` is one a webhook can be sent to
// (http[s]://[user:password@]host[:port]/path); the error shows it redacted.
// Where it points is checked at submission by the webhook policy (JobsApi).
absl::Status ValidateWebhookUrl(std::string_view url);

}  // namespace inferd
