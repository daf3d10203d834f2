#pragma once

// SqliteJobStore: the embedded, durable JobStore: one SQLite database file
// (WAL journal) under the server's data directory.
//
// Writes go through one writer thread that group-commits: it takes every
// mutation queued since its last commit (submissions, claims, completions,
// ...), runs each inside its own SAVEPOINT (so one failing mutation does not
// undo its neighbours) in one transaction, commits once, and only then
// answers each caller. Many submitters share one WAL sync, which is what
// makes thousands of durable submissions per second possible (see
// docs/benchmarks.md). Reads (Get, List) use a separate connection and see
// the last committed state.
//
// Durability: `synchronous` FULL syncs the WAL at every commit (a power
// loss keeps every acknowledged job); NORMAL syncs only at checkpoints,
// which survives kill -9 of the process (the requirement) but may
// lose the last commits on power loss. FULL is the default; with group
// commit it costs little (benchmarks.md).
//
// A lock file (jobs.lock, flock) keeps a second inferd from opening the same
// data directory, which RecoverAfterCrash relies on.
//
// The result TTL is enforced by PurgeExpired(), which the owner calls
// periodically (e.g. every minute); freed pages are reused, so the file
// stays near its peak working size.
//
// Thread-safe. Callbacks (SubmitAsync's `done`, JobEventHub subscribers)
// run on the writer thread: they must not call back into the store's
// blocking methods, which would wait for that same thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"
#include "jobs/sqlite_db.h"

namespace inferd::jobs {

class SqliteJobStore : public JobStore {
 public:
  enum class Synchronous { kNormal, kFull };

  struct Options {
    // Directory holding jobs.db (+ -wal, -shm) and jobs.lock; created if
    // missing (--data-dir).
    std::string data_dir;
    Synchronous synchronous = Synchronous::kFull;
    // Attempts before a retryable failure becomes final
    // (--job-max-attempts). >= 1. A JobSpec may ask for fewer or more.
    int max_attempts = 3;
    // Retry backoff: initial * multiplier^(failed attempts - 1), capped.
    absl::Duration retry_initial_backoff = absl::Seconds(1);
    double retry_backoff_multiplier = 2.0;
    absl::Duration retry_max_backoff = absl::Minutes(5);
    // How long a final job's document and result are kept
    // (--job-result-ttl).
    absl::Duration result_ttl = absl::Hours(1);
    // A claimed job's lease; RequeueExpiredLeases() takes it back after.
    absl::Duration lease = absl::Minutes(10);
    // Age-based promotion: a queued job competes one priority level higher
    // for every `promotion_age` it has waited, so low is never starved.
    absl::Duration promotion_age = absl::Seconds(30);
    // Most mutations committed in one transaction.
    int max_batch = 1024;
    Clock* clock = nullptr;         // not owned; defaults to the real clock
    JobEventHub* events = nullptr;  // not owned; optional
  };

  // Opens or creates the database, applying the schema (and migrating an
  // older file's). InvalidArgument for bad options; FailedPrecondition when
  // the data directory cannot be created or another process holds it;
  // DataLoss when jobs.db is damaged or not a database, other codes when it
  // cannot be opened: both name the file and what to do about it.
  static absl::StatusOr<std::unique_ptr<SqliteJobStore>> Open(Options options);

  // Finishes queued mutations, then closes the database.
  ~SqliteJobStore() override;

  void SubmitAsync(JobSpec spec, SubmitCallback done) override;
  absl::StatusOr<Job> Get(std::string_view id) override;
  absl::StatusOr<ListPage> List(const ListQuery& query) override;
  absl::StatusOr<CancelResult> Cancel(std::string_view id) override;
  absl::StatusOr<std::optional<Job>> ClaimNext(
      std::string_view worker) override;
  absl::Status RenewLease(std::string_view id, int attempt) override;
  absl::StatusOr<Job> Finish(std::string_view id, int attempt,
                             const JobOutcome& outcome) override;
  absl::StatusOr<int> RecoverAfterCrash() override;
  absl::StatusOr<int> RequeueExpiredLeases() override;
  absl::StatusOr<int> PurgeExpired() override;
  absl::StatusOr<std::vector<Job>> DueWebhooks(int limit) override;
  absl::Status RecordWebhookAttempt(std::string_view id,
                                    const absl::Status& delivery,
                                    absl::Time next_attempt) override;
  absl::StatusOr<JobCounts> Counts() override;

  // The database file, for tests and logs.
  const std::string& path() const { return path_; }

  // Group-commit counters (metrics, benchmarks): transactions committed and
  // mutations they carried.
  struct WriterStats {
    uint64_t commits = 0;
    uint64_t mutations = 0;
  };
  WriterStats writer_stats() const {
    return {commits_.load(std::memory_order_relaxed),
            mutations_.load(std::memory_order_relaxed)};
  }

  // Retry delay after `failed_attempts` failures (>= 1).
  absl::Duration RetryBackoff(int failed_attempts) const;

 private:
  // One mutation, run by the writer thread inside the batch transaction.
  struct WriteContext;
  using WriteFn = std::function<absl::Status(WriteContext&)>;
  struct WriteOp {
    WriteFn fn;
    std::function<void(absl::Status)> done;  // after commit (or failure)
    // The mutation writes at most one statement, which SQLite already
    // applies atomically, so it needs no SAVEPOINT of its own (submissions:
    // two fewer statements on the hot path).
    bool single_write = false;
  };

  SqliteJobStore(Options options, std::string path, int lock_fd);

  absl::Status Initialize();
  // Queues `fn` and returns once it committed or failed.
  absl::Status Write(WriteFn fn);
  void WriteAsync(WriteFn fn, std::function<void(absl::Status)> done,
                  bool single_write = false);
  void WriterLoop();
  void RunBatch(std::vector<WriteOp>& batch);

  absl::StatusOr<int> RequeueRunning(bool only_expired, std::string reason);

  const Options options_;
  const std::string path_;
  const int lock_fd_;
  Clock* const clock_;

  std::unique_ptr<SqliteDb> write_db_;  // writer thread only (after Open)

  absl::Mutex read_mu_;
  std::unique_ptr<SqliteDb> read_db_ ABSL_GUARDED_BY(read_mu_);

  absl::Mutex queue_mu_;
  std::deque<WriteOp> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;

  // Live gauges, updated by the writer after each commit.
  absl::Mutex counts_mu_;
  std::map<std::pair<std::string, JobStatus>, int64_t> counts_
      ABSL_GUARDED_BY(counts_mu_);

  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> mutations_{0};
  std::thread writer_;
};

}  // namespace inferd::jobs
