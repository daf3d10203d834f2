#pragma once

// RedisJobStore: the JobStore that several inferd replicas share, on one
// Redis server (`--redis URL`). Same job document, state machine and rules
// as SqliteJobStore (job_transitions.h); the contract test suite
// (job_store_contract_test.cc) runs against both.
//
// Layout (every key under `prefix`, "inferd:" by default):
//   job:<id>      hash: doc (job_codec.h), input (the request body), rev
//                 (compare-and-set counter), created (us), entry
//                 ("<priority>|<stream entry id>" while queued or running)
//   q:<0|1|2>     one stream per priority; consumer group "workers" shared by
//                 all replicas: XREADGROUP claims, XACK + XDEL when the
//                 attempt ends, XAUTOCLAIM takes back entries whose claimer
//                 died before it recorded the claim
//   delayed       zset "<priority>|<id>" by not_before: retries in backoff,
//                 moved to their stream by the claim script once due
//   leases        zset id by lease expiry: RequeueExpiredLeases() takes
//                 back the running jobs of a replica that stopped
//   all           zset id by created: listing and cursors
//   finished      zset id by finished: PurgeExpired() (result TTL)
//   webhooks      zset id by next delivery attempt
//   counts        hash "<status>|<model>" -> jobs (metrics gauges)
//   idem:<key>    the job id holding an Idempotency-Key (SET NX)
//   events        Pub/Sub channel: "<origin>|<status>|<revision>|<id>" after
//                 each change, so SSE streams and idle workers of every
//                 replica hear of it
// Each state change is one EVAL (redis_job_scripts.h): a compare-and-set on
// the job hash's `rev` plus every index update, applied atomically; a lost
// race reloads the job and tries again.
//
// Durability: what Redis's `appendonly`/`appendfsync` give (README:
// "Running several replicas"). With appendfsync always, an acknowledged
// submission survives a crash of Redis; with everysec (Redis's default), up
// to a second of changes may be lost when Redis itself crashes, never when a
// replica does.
//
// Times in the indexes come from the store's Clock, so tests run on a fake
// clock; stream entry ids are Redis's own.
//
// Thread-safe. SubmitAsync's `done` runs on one of the store's submit
// threads. Redis unreachable: methods return Unavailable (503 with
// Retry-After at the API).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"
#include "jobs/job_transitions.h"
#include "redis/redis_client.h"
#include "redis/redis_script.h"
#include "redis/redis_subscriber.h"

namespace inferd::jobs {

class RedisJobStore : public JobStore {
 public:
  struct Options {
    redis::RedisClient* client = nullptr;  // not owned; required
    std::string prefix = "inferd:";        // key prefix (tests use their own)
    // This replica's name: its workers are "<replica>-<n>" and
    // RecoverAfterCrash() requeues only jobs that ran under this name
    // (--replica-name; stable across restarts of the same pod).
    std::string replica;
    int max_attempts = 3;
    RetryPolicy retry;
    absl::Duration result_ttl = absl::Hours(1);
    absl::Duration lease = absl::Minutes(10);
    absl::Duration promotion_age = absl::Seconds(30);
    int submit_threads = 4;
    Clock* clock = nullptr;         // not owned; defaults to the real clock
    JobEventHub* events = nullptr;  // not owned; optional
    // Subscribe to other replicas' changes (off in single-store tests).
    bool subscribe = true;
  };

  // InvalidArgument for bad options. Does not need Redis to be up.
  static absl::StatusOr<std::unique_ptr<RedisJobStore>> Open(Options options);
  ~RedisJobStore() override;

  void SubmitAsync(JobSpec spec, SubmitCallback done) override;
  absl::StatusOr<Job> Get(std::string_view id) override;
  absl::StatusOr<ListPage> List(const ListQuery& query) override;
  absl::StatusOr<CancelResult> Cancel(std::string_view id) override;
  absl::StatusOr<std::optional<Job>> ClaimNext(std::string_view worker) override;
  absl::Status RenewLease(std::string_view id, int attempt) override;
  absl::StatusOr<Job> Finish(std::string_view id, int attempt,
                             const JobOutcome& outcome) override;
  absl::StatusOr<int> RecoverAfterCrash() override;
  absl::StatusOr<int> RequeueExpiredLeases() override;
  absl::StatusOr<int> PurgeExpired() override;
  absl::StatusOr<std::vector<Job>> DueWebhooks(int limit) override;
  absl::Status RecordWebhookAttempt(std::string_view id, const absl::Status& delivery,
                                    absl::Time next_attempt) override;
  absl::StatusOr<JobCounts> Counts() override;

  // Entries that XAUTOCLAIM took back from dead consumers (metrics, tests).
  uint64_t autoclaimed() const { return autoclaimed_.load(std::memory_order_relaxed); }

 private:
  struct Loaded;
  struct Change;

  explicit RedisJobStore(Options options);

  absl::StatusOr<SubmitResult> SubmitNow(JobSpec spec);
  absl::StatusOr<Loaded> Load(std::string_view id, bool with_input);
  static absl::StatusOr<Loaded> Parse(std::string_view id, const redis::Reply* fields,
                                      bool with_input);
  // Applies `change` if the job is still at `loaded.rev`; false on a lost race.
  absl::StatusOr<bool> Commit(const Loaded& loaded, Change& change);
  void PublishLocally(const Job& job);
  void OnRemoteEvent(const std::string& message);
  absl::StatusOr<int> Requeue(const std::vector<std::string>& ids, std::string_view reason,
                              bool only_expired);
  absl::StatusOr<int> AutoclaimStale();

  std::string Key(std::string_view suffix) const;
  std::string JobKey(std::string_view id) const;

  const Options options_;
  Clock* const clock_;
  const std::string origin_;  // tells our own Pub/Sub messages apart
  std::atomic<uint64_t> autoclaimed_{0};
  redis::RedisScript commit_script_;
  redis::RedisScript claim_script_;
  std::unique_ptr<ThreadPool> submitters_;
  std::unique_ptr<redis::RedisSubscriber> subscriber_;
};

}  // namespace inferd::jobs
