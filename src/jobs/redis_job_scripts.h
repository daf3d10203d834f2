#pragma once

// The Lua scripts the Redis job store runs with EVAL, each one atomic on
// the server. Internal to RedisJobStore (redis_job_store.cc says how their
// keys and arguments are laid out).

namespace inferd::jobs::internal {

// Compare-and-set of one job document, then a list of commands, then
// optionally a new entry on a priority stream, all or nothing.
//   KEYS[1] job hash, KEYS[2] stream to enqueue on (or any key),
//   KEYS[3] idempotency key (or any key)
//   ARGV[1] expected `rev` of the job hash ("" = the hash must not exist)
//   ARGV[2] priority to enqueue on ("" = none), ARGV[3] the job id
//   ARGV[4] "1" = SET KEYS[3] to the job id NX first (submissions)
//   ARGV[5] number of commands, then each as: argc, args...
// Returns {1} when applied, {0} when `rev` did not match, {2, id} when the
// idempotency key is held by job `id`.
extern const char kCommitScript[];

// Claims the next runnable job for a consumer of the group:
// moves retries whose backoff has passed from the delayed set to their
// streams, ranks the next undelivered entry of each priority stream (a job
// competes one priority higher per promotion age waited; an empty stream
// costs one XLEN), and XREADGROUPs the best one. A stream with entries and
// no group gets the group; ARGV[6] = "1" also creates the stream and group
// of each priority that has no stream yet (a store's first claim).
//   KEYS[1] delayed zset, KEYS[2..4] streams of priority 0..2
//   ARGV[1] now (Unix us), ARGV[2] promotion age (us), ARGV[3] group,
//   ARGV[4] consumer, ARGV[5] job hash key prefix, ARGV[6] "1" or ""
// Returns {priority, entry id, job id, doc, rev, entry, input} (the last
// four: the job hash's fields as HMGET reads them, nil where missing, so
// the claimer needs no second round trip), or nil when nothing is runnable.
extern const char kClaimScript[];

}  // namespace inferd::jobs::internal
