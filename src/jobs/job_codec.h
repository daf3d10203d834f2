#pragma once

// The job document as one compact binary string, for stores that keep a job
// as a value (the Redis store) rather than as columns (SQLite: job_row.h).
//
// Format: a version byte, then every Job field in a fixed order; strings are
// length-prefixed, times are Unix microseconds (INT64_MIN/INT64_MAX for
// infinite past/future), all integers little-endian. The input body is not
// part of the document (stores keep it beside it, so state changes do not
// rewrite it); DecodeJob leaves it empty.
//
// Pure functions; thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "jobs/job.h"

namespace inferd::jobs {

std::string EncodeJob(const Job& job);

// DataLoss, naming the job document, when `bytes` is truncated or of an
// unknown version.
absl::StatusOr<Job> DecodeJob(std::string_view bytes);

}  // namespace inferd::jobs
