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
// Round trips: SubmitAsync and GetAsync never block their caller: their
// commands go through one RedisAutoPipeline, so the submissions and polls
// in flight share round trips. A worker's Finish() commits against the
// revision its claim (or its last RenewLease) wrote, without reading the job
// again; a lost race reads it and tries again as any other change does.
//
// Thread-safe. SubmitAsync's and GetAsync's `done` run on the store's
// pipeline thread. Redis unreachable: methods return Unavailable (503 with
// Retry-After at the API).

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"
#include "jobs/job_transitions.h"
#include "redis/redis_auto_pipeline.h"
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
  void GetAsync(std::string_view id, GetCallback done) override;
  bool async_reads() const override { return true; }
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
  // A job as read from Redis, with what its next compare-and-set needs.
  struct Loaded {
    Job job;
    std::string rev;    // "" when the hash does not exist (a new job)
    std::string entry;  // "<priority>|<entry id>" or ""
  };
  // One atomic state change of one job (see kCommitScript).
  struct Change {
    Job job;                        // the document after the change
    std::optional<JobStatus> from;  // status before; nullopt: a new job
    bool publish = true;            // bump the revision and announce it
    bool remove = false;            // delete the job (purge)
    const std::string* input = nullptr;  // new jobs: the request body
    std::optional<int> enqueue;     // add a stream entry on this priority
    bool claim_idempotency_key = false;
    bool clear_entry = false;       // the job left its stream: `entry` becomes ""
    std::vector<std::vector<std::string>> commands;  // more, applied before
    std::string held_by;            // out: the job holding the key, if taken
    std::string rev_after;          // out: the job hash's `rev` once applied
  };

  struct Submission;
  struct Script {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };

  explicit RedisJobStore(Options options);

  std::vector<std::string> LoadCommand(std::string_view id, bool with_input) const;
  absl::StatusOr<Loaded> Load(std::string_view id, bool with_input);
  // The job from an answer to LoadCommand().
  static absl::StatusOr<Loaded> FromReply(std::string_view id,
                                          absl::StatusOr<redis::Reply> reply, bool with_input);
  static absl::StatusOr<Loaded> Parse(std::string_view id, const redis::Reply* fields,
                                      bool with_input);
  // Applies `change` if the job is still at `loaded.rev`; false on a lost race.
  absl::StatusOr<bool> Commit(const Loaded& loaded, Change& change);
  // Commit() in two halves, for the pipelined submissions: the script's
  // keys and arguments, then what its reply means.
  Script CommitScript(const Loaded& loaded, Change& change);
  absl::StatusOr<bool> Committed(const redis::Reply& reply, Change& change);
  // The submission's answer once its commit replied (pipeline thread).
  void Submitted(std::shared_ptr<Submission> submission, absl::StatusOr<redis::Reply> reply,
                 SubmitCallback done);
  // Remembers the job a worker of this replica runs, as its last commit left it.
  void Remember(const Change& change, const std::string& entry);
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
  std::atomic<bool> groups_made_{false};  // the claim script made missing streams
  redis::RedisScript commit_script_;
  redis::RedisScript claim_script_;
  std::unique_ptr<redis::RedisAutoPipeline> pipeline_;
  std::unique_ptr<redis::RedisSubscriber> subscriber_;
  // Jobs running on this replica's workers: id -> the job as the claim (or
  // the last lease renewal) committed it, so Finish() needs no read first.
  absl::Mutex running_mu_;
  absl::flat_hash_map<std::string, Loaded> running_ ABSL_GUARDED_BY(running_mu_);
};

}  // namespace inferd::jobs
