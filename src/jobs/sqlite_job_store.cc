#include "jobs/sqlite_job_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <utility>

#include "absl/status/status.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "jobs/job_fingerprint.h"
#include "jobs/job_row.h"
#include "jobs/job_transitions.h"

namespace inferd::jobs {

using internal::ApplySchema;
using internal::Bodies;
using internal::DecodeCursor;
using internal::EncodeCursor;
using internal::MicrosToTime;
using internal::TimeToMicros;

namespace {

constexpr int kPurgeBatch = 1000;
constexpr int kMaxListLimit = 1000;

absl::Status JobNotFound(std::string_view id) {
  return absl::NotFoundError(ToAbsl(StrCat("job \"", id, "\" not found")));
}

// Loads one job by id on `db`; NotFound when absent.
absl::StatusOr<Job> LoadJob(SqliteDb& db, std::string_view id, Bodies bodies) {
  INFERD_ASSIGN_OR_RETURN(ScopedStatement stmt,
                          db.Prepare(internal::SelectJobByIdSql(bodies)));
  stmt->BindText(1, id);
  INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
  if (!row) return JobNotFound(id);
  return internal::ReadJob(*stmt.operator->());
}

// Why the database file at `path` cannot be used, naming it and what to do:
// an operator reads this in the log and in every async answer.
absl::Status DatabaseOpenError(const std::string& path, const absl::Status& cause) {
  if (absl::IsDataLoss(cause)) {
    return absl::DataLossError(ToAbsl(StrCat(
        "job database ", path, " is damaged or is not an SQLite database (", cause.message(),
        "). Move it away (with ", path, "-wal and ", path,
        "-shm if present) or restore it from a backup, then restart inferd; a new "
        "database is created where none exists")));
  }
  return absl::Status(cause.code(),
                      ToAbsl(StrCat("job database ", path, " cannot be opened (", cause.message(),
                                    "). Fix the cause (permissions, free space), then restart "
                                    "inferd")));
}

}  // namespace

// What one mutation sees and leaves for after the commit.
struct SqliteJobStore::WriteContext {
  SqliteDb* db;
  absl::Time now;
  JobEventHub* events;
  struct Change {
    std::string model;
    std::optional<JobStatus> from;  // nullopt: inserted
    std::optional<JobStatus> to;    // nullopt: deleted
  };
  std::vector<Change> changes;
  std::vector<JobEvent> to_publish;

  // Writes `job` back (or inserts it when `from` is nullopt), recording the
  // status change for gauges and the event for subscribers.
  absl::Status Save(Job& job, std::optional<JobStatus> from, bool publish) {
    if (publish) ++job.revision;
    INFERD_ASSIGN_OR_RETURN(
        ScopedStatement stmt,
        db->Prepare(from.has_value() ? internal::kUpdateJobSql
                                     : internal::kInsertJobSql));
    if (from.has_value()) {
      internal::BindUpdateJob(*stmt.operator->(), job);
    } else {
      internal::BindInsertJob(*stmt.operator->(), job);
    }
    INFERD_RETURN_IF_ERROR(stmt->Run());
    if (!from.has_value() || *from != job.status) {
      changes.push_back({job.request.model, from, job.status});
    }
    if (publish && events != nullptr && events->HasSubscribers(job.id)) {
      auto snapshot = std::make_shared<Job>(job);
      snapshot->request.input.body.clear();
      to_publish.push_back(
          JobEvent{job.id, job.status, job.revision, std::move(snapshot)});
    }
    return absl::OkStatus();
  }
};

absl::StatusOr<std::unique_ptr<SqliteJobStore>> SqliteJobStore::Open(
    Options options) {
  if (options.data_dir.empty()) {
    return absl::InvalidArgumentError("job store: data_dir is empty");
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError("job store: max_attempts must be >= 1");
  }
  INFERD_RETURN_IF_ERROR((RetryPolicy{options.retry_initial_backoff,
                                       options.retry_backoff_multiplier,
                                       options.retry_max_backoff}
                               .Validate()));
  if (options.result_ttl <= absl::ZeroDuration() ||
      options.lease <= absl::ZeroDuration() ||
      options.promotion_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "job store: result_ttl, lease and promotion_age must be > 0");
  }
  if (options.max_batch < 1) options.max_batch = 1;
  if (options.clock == nullptr) options.clock = RealClock::Get();

  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(ToAbsl(StrCat(
        "job store: cannot create data dir ", options.data_dir, ": ",
        ec.message())));
  }
  std::string lock_path = options.data_dir + "/jobs.lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(ToAbsl(
        StrCat("job store: cannot open ", lock_path, ": ", std::strerror(errno))));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(ToAbsl(StrCat(
        "job store: data dir ", options.data_dir,
        " is in use by another inferd process (", lock_path, " is locked)")));
  }
  std::string path = options.data_dir + "/jobs.db";
  std::unique_ptr<SqliteJobStore> store(
      new SqliteJobStore(std::move(options), std::move(path), fd));
  if (absl::Status opened = store->Initialize(); !opened.ok()) {
    return DatabaseOpenError(store->path(), opened);
  }
  store->writer_ = std::thread([s = store.get()] { s->WriterLoop(); });
  return store;
}

SqliteJobStore::SqliteJobStore(Options options, std::string path, int lock_fd)
    : options_(std::move(options)),
      path_(std::move(path)),
      lock_fd_(lock_fd),
      clock_(options_.clock) {}

SqliteJobStore::~SqliteJobStore() {
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
  write_db_.reset();
  {
    absl::MutexLock lock(&read_mu_);
    read_db_.reset();
  }
  ::close(lock_fd_);  // releases the flock
}

absl::Status SqliteJobStore::Initialize() {
  INFERD_ASSIGN_OR_RETURN(write_db_, SqliteDb::Open(path_));
  INFERD_RETURN_IF_ERROR(write_db_->Exec("PRAGMA journal_mode=WAL"));
  INFERD_RETURN_IF_ERROR(write_db_->Exec(
      options_.synchronous == Synchronous::kFull ? "PRAGMA synchronous=FULL"
                                                 : "PRAGMA synchronous=NORMAL"));
  INFERD_RETURN_IF_ERROR(write_db_->Exec("PRAGMA busy_timeout=5000"));
  INFERD_RETURN_IF_ERROR(write_db_->Exec("PRAGMA temp_store=MEMORY"));
  // Truncate the WAL back to 64 MiB after checkpoints so a burst does not
  // leave a huge -wal file behind.
  INFERD_RETURN_IF_ERROR(
      write_db_->Exec("PRAGMA journal_size_limit=67108864"));
  INFERD_RETURN_IF_ERROR(write_db_->Exec("BEGIN"));
  absl::Status schema = ApplySchema(*write_db_);
  if (!schema.ok()) {
    write_db_->Exec("ROLLBACK").IgnoreError();
    return schema;
  }
  INFERD_RETURN_IF_ERROR(write_db_->Exec("COMMIT"));

  // Gauges start from what is on disk.
  {
    INFERD_ASSIGN_OR_RETURN(
        ScopedStatement stmt,
        write_db_->Prepare(
            "SELECT model, status, count(*) FROM jobs GROUP BY model, status"));
    absl::MutexLock lock(&counts_mu_);
    while (true) {
      INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      int64_t status = stmt->ColumnInt(1);
      if (status < 0 || status >= kJobStatusCount) continue;
      counts_[{stmt->ColumnString(0), static_cast<JobStatus>(status)}] =
          stmt->ColumnInt(2);
    }
  }

  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> reader,
                          SqliteDb::Open(path_));
  INFERD_RETURN_IF_ERROR(reader->Exec("PRAGMA busy_timeout=5000"));
  absl::MutexLock lock(&read_mu_);
  read_db_ = std::move(reader);
  return absl::OkStatus();
}

absl::Duration SqliteJobStore::RetryBackoff(int failed_attempts) const {
  return RetryPolicy{options_.retry_initial_backoff, options_.retry_backoff_multiplier,
                     options_.retry_max_backoff}
      .Backoff(failed_attempts);
}

// ---- the writer ------------------------------------------------------------

void SqliteJobStore::WriteAsync(WriteFn fn,
                                std::function<void(absl::Status)> done,
                                bool single_write) {
  {
    absl::MutexLock lock(&queue_mu_);
    if (!stopping_) {
      queue_.push_back(WriteOp{std::move(fn), std::move(done), single_write});
      return;
    }
  }
  done(absl::UnavailableError("job store is shutting down"));
}

absl::Status SqliteJobStore::Write(WriteFn fn) {
  absl::Notification committed;
  absl::Status result;
  WriteAsync(std::move(fn), [&](absl::Status status) {
    result = std::move(status);
    committed.Notify();
  });
  committed.WaitForNotification();
  return result;
}

void SqliteJobStore::WriterLoop() {
  std::vector<WriteOp> batch;
  while (true) {
    {
      absl::MutexLock lock(&queue_mu_);
      queue_mu_.Await(absl::Condition(
          +[](SqliteJobStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->queue_mu_) {
            return !s->queue_.empty() || s->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, drained
      size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteJobStore::RunBatch(std::vector<WriteOp>& batch) {
  SqliteDb& db = *write_db_;
  std::vector<absl::Status> results(batch.size());
  std::vector<WriteContext> contexts(batch.size());

  auto exec = [&](const char* sql) -> absl::Status {
    INFERD_ASSIGN_OR_RETURN(ScopedStatement stmt, db.Prepare(sql));
    return stmt->Run();
  };

  absl::Status batch_status = exec("BEGIN IMMEDIATE");
  if (batch_status.ok()) {
    for (size_t i = 0; i < batch.size(); ++i) {
      WriteContext& ctx = contexts[i];
      ctx.db = &db;
      ctx.now = clock_->Now();
      ctx.events = options_.events;
      if (batch[i].single_write) {
        // Nothing to undo on failure: the one write failed as a whole.
        absl::Status status = batch[i].fn(ctx);
        results[i] = status;
        if (!status.ok()) {
          ctx.changes.clear();
          ctx.to_publish.clear();
        }
        continue;
      }
      absl::Status status = exec("SAVEPOINT op");
      if (status.ok()) {
        status = batch[i].fn(ctx);
        if (status.ok()) {
          status = exec("RELEASE op");
        } else {
          // Undo only this mutation; keep the batch.
          absl::Status undo = exec("ROLLBACK TO op");
          if (undo.ok()) undo = exec("RELEASE op");
          if (!undo.ok()) batch_status = undo;
        }
      }
      results[i] = status;
      if (!status.ok()) {
        ctx.changes.clear();
        ctx.to_publish.clear();
      }
      if (!batch_status.ok()) break;
    }
    if (batch_status.ok()) batch_status = exec("COMMIT");
    if (!batch_status.ok()) write_db_->Exec("ROLLBACK").IgnoreError();
  }

  if (batch_status.ok()) {
    commits_.fetch_add(1, std::memory_order_relaxed);
    mutations_.fetch_add(batch.size(), std::memory_order_relaxed);
    absl::MutexLock lock(&counts_mu_);
    for (const WriteContext& ctx : contexts) {
      for (const WriteContext::Change& c : ctx.changes) {
        if (c.from.has_value()) --counts_[{c.model, *c.from}];
        if (c.to.has_value()) ++counts_[{c.model, *c.to}];
      }
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::Status status = batch_status.ok() ? results[i] : batch_status;
    if (status.ok() && options_.events != nullptr) {
      for (const JobEvent& event : contexts[i].to_publish) {
        options_.events->Publish(event);
      }
    }
    batch[i].done(std::move(status));
  }
}

// ---- mutations ---------------------------------------------------------------

void SqliteJobStore::SubmitAsync(JobSpec spec, SubmitCallback done) {
  if (spec.request.model.empty() || spec.request.route.empty()) {
    done(absl::InvalidArgumentError("job: model and route are required"));
    return;
  }
  if (spec.max_attempts < 0) {
    done(absl::InvalidArgumentError("job: max_attempts must be >= 0"));
    return;
  }
  auto result = std::make_shared<SubmitResult>();
  int max_attempts =
      spec.max_attempts > 0 ? spec.max_attempts : options_.max_attempts;
  // Hashed here, on the submitter's thread, not on the writer's.
  std::string fingerprint = JobFingerprint(spec);
  WriteAsync(
      [result, max_attempts, fingerprint = std::move(fingerprint),
       spec = std::move(spec)](WriteContext& ctx) mutable -> absl::Status {
        if (!spec.idempotency_key.empty()) {
          INFERD_ASSIGN_OR_RETURN(
              ScopedStatement stmt,
              ctx.db->Prepare(internal::SelectJobByIdempotencyKeySql()));
          stmt->BindText(1, spec.idempotency_key);
          INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
          if (row) {
            INFERD_ASSIGN_OR_RETURN(result->job,
                                    internal::ReadJob(*stmt.operator->()));
            if (absl::Status same = CheckIdempotentResubmission(result->job, spec, fingerprint);
                !same.ok()) {
              result->job = Job();
              return same;
            }
            result->created = false;
            return absl::OkStatus();
          }
        }
        result->job = NewJob(std::move(spec), std::move(fingerprint), max_attempts, ctx.now);
        return ctx.Save(result->job, std::nullopt, /*publish=*/true);
      },
      [result, done = std::move(done)](absl::Status status) {
        if (!status.ok()) {
          done(std::move(status));
        } else {
          done(std::move(*result));
        }
      },
      /*single_write=*/true);
}

absl::StatusOr<CancelResult> SqliteJobStore::Cancel(std::string_view id) {
  CancelResult result;
  std::string key(id);
  INFERD_RETURN_IF_ERROR(Write([&](WriteContext& ctx) -> absl::Status {
    INFERD_ASSIGN_OR_RETURN(result.job, LoadJob(*ctx.db, key, Bodies::kNone));
    Job& job = result.job;
    const JobStatus from = job.status;
    bool changed = false;
    result.outcome = ApplyCancel(job, ctx.now, changed);
    if (!changed) return absl::OkStatus();
    return ctx.Save(job, from, /*publish=*/true);
  }));
  return result;
}

absl::StatusOr<std::optional<Job>> SqliteJobStore::ClaimNext(
    std::string_view worker) {
  std::optional<Job> claimed;
  std::string worker_name(worker);
  INFERD_RETURN_IF_ERROR(Write([&](WriteContext& ctx) -> absl::Status {
    struct Candidate {
      int64_t rank;
      int64_t created_us;
      int priority;
      std::string id;
    };
    std::optional<Candidate> best;
    const int64_t now_us = TimeToMicros(ctx.now);
    const int64_t promotion_us = absl::ToInt64Microseconds(options_.promotion_age);
    for (int p = 0; p < kJobPriorityCount; ++p) {
      INFERD_ASSIGN_OR_RETURN(
          ScopedStatement stmt,
          // INDEXED BY: the partial queue index finds the oldest job of a
          // priority at once; the planner may otherwise walk every queued
          // job through jobs_by_status_created.
          ctx.db->Prepare("SELECT id, created_us FROM jobs INDEXED BY "
                          "jobs_queue WHERE status = 0 AND priority = ?1 AND "
                          "not_before_us <= ?2 ORDER BY created_us LIMIT 1"));
      stmt->BindInt(1, p);
      stmt->BindInt(2, now_us);
      INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) continue;
      Candidate c{0, stmt->ColumnInt(1), p, stmt->ColumnString(0)};
      int64_t waited = std::max<int64_t>(0, now_us - c.created_us);
      c.rank = std::max<int64_t>(0, p - waited / promotion_us);
      if (!best.has_value() ||
          std::tie(c.rank, c.created_us, c.priority) <
              std::tie(best->rank, best->created_us, best->priority)) {
        best = std::move(c);
      }
    }
    if (!best.has_value()) return absl::OkStatus();
    INFERD_ASSIGN_OR_RETURN(Job job, LoadJob(*ctx.db, best->id, Bodies::kAll));
    ApplyClaim(job, ctx.now, options_.lease, worker_name);
    INFERD_RETURN_IF_ERROR(ctx.Save(job, JobStatus::kQueued, /*publish=*/true));
    claimed = std::move(job);
    return absl::OkStatus();
  }));
  return claimed;
}

absl::Status SqliteJobStore::RenewLease(std::string_view id, int attempt) {
  std::string key(id);
  return Write([&](WriteContext& ctx) -> absl::Status {
    INFERD_ASSIGN_OR_RETURN(Job job, LoadJob(*ctx.db, key, Bodies::kNoInput));
    INFERD_RETURN_IF_ERROR(CheckRunningAttempt(job, attempt));
    job.lease_expires = ctx.now + options_.lease;
    return ctx.Save(job, job.status, /*publish=*/false);
  });
}

absl::StatusOr<Job> SqliteJobStore::Finish(std::string_view id, int attempt,
                                           const JobOutcome& outcome) {
  Job result;
  std::string key(id);
  INFERD_RETURN_IF_ERROR(Write([&](WriteContext& ctx) -> absl::Status {
    INFERD_ASSIGN_OR_RETURN(Job job, LoadJob(*ctx.db, key, Bodies::kNoInput));
    INFERD_RETURN_IF_ERROR(CheckRunningAttempt(job, attempt));
    ApplyFinish(job, outcome, ctx.now,
                RetryPolicy{options_.retry_initial_backoff, options_.retry_backoff_multiplier,
                            options_.retry_max_backoff});
    INFERD_RETURN_IF_ERROR(ctx.Save(job, JobStatus::kRunning, /*publish=*/true));
    result = std::move(job);
    return absl::OkStatus();
  }));
  return result;
}

absl::StatusOr<int> SqliteJobStore::RequeueRunning(bool only_expired,
                                                   std::string reason) {
  int count = 0;
  INFERD_RETURN_IF_ERROR(Write([&](WriteContext& ctx) -> absl::Status {
    std::vector<std::string> ids;
    {
      INFERD_ASSIGN_OR_RETURN(
          ScopedStatement stmt,
          ctx.db->Prepare(
              "SELECT id FROM jobs WHERE status = 1 AND lease_us < ?1"));
      stmt->BindInt(1, only_expired ? TimeToMicros(ctx.now)
                                    : TimeToMicros(absl::InfiniteFuture()));
      while (true) {
        INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
        if (!row) break;
        ids.push_back(stmt->ColumnString(0));
      }
    }
    for (const std::string& id : ids) {
      INFERD_ASSIGN_OR_RETURN(Job job, LoadJob(*ctx.db, id, Bodies::kNoInput));
      ApplyRequeue(job, ctx.now, reason);
      INFERD_RETURN_IF_ERROR(
          ctx.Save(job, JobStatus::kRunning, /*publish=*/true));
      ++count;
    }
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<int> SqliteJobStore::RecoverAfterCrash() {
  return RequeueRunning(false, std::string(kInterruptedByRestart));
}

absl::StatusOr<int> SqliteJobStore::RequeueExpiredLeases() {
  return RequeueRunning(true, std::string(kInterruptedByLease));
}

absl::StatusOr<int> SqliteJobStore::PurgeExpired() {
  int total = 0;
  while (true) {
    int deleted = 0;
    INFERD_RETURN_IF_ERROR(Write([&](WriteContext& ctx) -> absl::Status {
      std::vector<std::pair<std::string, WriteContext::Change>> doomed;
      {
        INFERD_ASSIGN_OR_RETURN(
            ScopedStatement stmt,
            ctx.db->Prepare("SELECT id, model, status FROM jobs WHERE "
                            "status >= 2 AND finished_us < ?1 LIMIT ?2"));
        stmt->BindInt(1, TimeToMicros(ctx.now - options_.result_ttl));
        stmt->BindInt(2, kPurgeBatch);
        while (true) {
          INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
          if (!row) break;
          doomed.push_back(
              {stmt->ColumnString(0),
               {stmt->ColumnString(1),
                static_cast<JobStatus>(stmt->ColumnInt(2)), std::nullopt}});
        }
      }
      for (auto& [id, change] : doomed) {
        INFERD_ASSIGN_OR_RETURN(ScopedStatement del,
                                ctx.db->Prepare("DELETE FROM jobs WHERE id = ?1"));
        del->BindText(1, id);
        INFERD_RETURN_IF_ERROR(del->Run());
        ctx.changes.push_back(std::move(change));
      }
      deleted = static_cast<int>(doomed.size());
      return absl::OkStatus();
    }));
    total += deleted;
    if (deleted < kPurgeBatch) return total;
  }
}

absl::Status SqliteJobStore::RecordWebhookAttempt(std::string_view id,
                                                  const absl::Status& delivery,
                                                  absl::Time next_attempt) {
  std::string key(id);
  return Write([&](WriteContext& ctx) -> absl::Status {
    INFERD_ASSIGN_OR_RETURN(Job job, LoadJob(*ctx.db, key, Bodies::kNoInput));
    ApplyWebhookAttempt(job, delivery, next_attempt);
    return ctx.Save(job, job.status, /*publish=*/false);
  });
}

// ---- reads -------------------------------------------------------------------

absl::StatusOr<Job> SqliteJobStore::Get(std::string_view id) {
  if (!IsValidJobId(id)) return JobNotFound(id);
  absl::MutexLock lock(&read_mu_);
  return LoadJob(*read_db_, id, Bodies::kAll);
}

absl::StatusOr<ListPage> SqliteJobStore::List(const ListQuery& query) {
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    return absl::InvalidArgumentError(ToAbsl(
        StrCat("limit must be between 1 and ", kMaxListLimit, ", got ",
               query.limit)));
  }
  int64_t cursor_created = 0;
  std::string cursor_id;
  if (!query.cursor.empty() &&
      !DecodeCursor(query.cursor, cursor_created, cursor_id)) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("cursor \"", query.cursor, "\" is not a valid cursor")));
  }
  std::string sql = internal::SelectJobSql(
      query.include_bodies ? Bodies::kAll : Bodies::kNone);
  std::vector<std::string> where;
  if (query.status.has_value()) where.push_back("status = ?1");
  if (!query.model.empty()) where.push_back("model = ?2");
  if (!query.owner.empty()) where.push_back("owner = ?6");
  if (!query.cursor.empty()) {
    where.push_back("(created_us < ?3 OR (created_us = ?3 AND id < ?4))");
  }
  for (size_t i = 0; i < where.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += where[i];
  }
  sql += " ORDER BY created_us DESC, id DESC LIMIT ?5";

  absl::MutexLock lock(&read_mu_);
  // Ad hoc SQL: prepared per call (List is not on a hot path).
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(read_db_->raw(), sql.c_str(), -1, &raw, nullptr) !=
      SQLITE_OK) {
    return absl::InternalError(
        ToAbsl(StrCat("sqlite: prepare list: ", read_db_->LastError())));
  }
  Statement stmt(read_db_->raw(), raw);
  if (query.status.has_value()) stmt.BindInt(1, static_cast<int>(*query.status));
  if (!query.model.empty()) stmt.BindText(2, query.model);
  if (!query.owner.empty()) stmt.BindText(6, query.owner);
  if (!query.cursor.empty()) {
    stmt.BindInt(3, cursor_created);
    stmt.BindText(4, cursor_id);
  }
  stmt.BindInt(5, query.limit + 1);  // one more tells whether a page follows
  ListPage page;
  while (true) {
    INFERD_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    INFERD_ASSIGN_OR_RETURN(Job job, internal::ReadJob(stmt));
    page.jobs.push_back(std::move(job));
  }
  if (static_cast<int>(page.jobs.size()) > query.limit) {
    page.jobs.pop_back();
    page.next_cursor = EncodeCursor(page.jobs.back());
  }
  return page;
}

absl::StatusOr<std::vector<Job>> SqliteJobStore::DueWebhooks(int limit) {
  std::vector<Job> jobs;
  absl::MutexLock lock(&read_mu_);
  INFERD_ASSIGN_OR_RETURN(ScopedStatement stmt,
                          read_db_->Prepare(internal::SelectDueWebhooksSql()));
  stmt->BindInt(1, TimeToMicros(clock_->Now()));
  stmt->BindInt(2, std::max(1, limit));
  while (true) {
    INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    INFERD_ASSIGN_OR_RETURN(Job job, internal::ReadJob(*stmt.operator->()));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

absl::StatusOr<JobCounts> SqliteJobStore::Counts() {
  JobCounts counts;
  {
    absl::MutexLock lock(&counts_mu_);
    for (const auto& [key, n] : counts_) {
      if (n == 0) continue;
      counts.by_model_status[key] = n;
      counts.by_status[static_cast<int>(key.second)] += n;
    }
  }
  absl::MutexLock lock(&read_mu_);
  for (int p = 0; p < kJobPriorityCount; ++p) {
    INFERD_ASSIGN_OR_RETURN(
        ScopedStatement stmt,
        read_db_->Prepare("SELECT created_us FROM jobs INDEXED BY jobs_queue "
                          "WHERE status = 0 AND priority = ?1 "
                          "ORDER BY created_us LIMIT 1"));
    stmt->BindInt(1, p);
    INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) {
      counts.oldest_queued =
          std::min(counts.oldest_queued, MicrosToTime(stmt->ColumnInt(0)));
    }
  }
  return counts;
}

}  // namespace inferd::jobs
