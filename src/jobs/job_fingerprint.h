#pragma once

// The fingerprint of a job submission: what lets an Idempotency-Key tell a
// retried submission (same request: the original job is returned) from a
// key reused for a different request (refused; IETF
// draft-ietf-httpapi-idempotency-key-header answers 422).
//
// It covers everything the client chose for the job: route, model, version,
// the input's content type, body-describing headers and exact body bytes,
// and the priority, webhook URL and max_attempts as submitted (0 when left
// to the server's default, so a changed --job-max-attempts does not turn a
// retry into a "different request"). Not the idempotency key itself.
//
// XXH3-128 over length-prefixed fields, as 32 lower-case hex digits. Stored
// with the job, so the encoding is versioned by kJobFingerprintTag: change
// the tag whenever the fields or their encoding change. Not a security
// boundary: a collision only makes two different requests count as one, as
// every key reuse did before fingerprints.
//
// Stateless; thread-safe.

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "jobs/job.h"

namespace inferd::jobs {

inline constexpr std::string_view kJobFingerprintTag = "inferd-job-fingerprint-v1";

std::string JobFingerprint(const JobSpec& spec);

// The answer to a submission with `fingerprint` whose idempotency key
// belongs to `existing`: OK (the same request: return that job) or
// AlreadyExists naming the key and the job. Jobs stored before fingerprints
// (empty) cannot be compared and count as the same request, as every reuse
// did then.
absl::Status CheckSameRequest(const Job& existing, const std::string& fingerprint);

}  // namespace inferd::jobs
