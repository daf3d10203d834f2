#include "jobs/job_row.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <set>
#include <limits>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd::jobs::internal {
namespace {

// Column order of every SELECT and of the INSERT's parameters (?1..?32):
// the order of the table's columns, new ones last (ALTER TABLE ADD COLUMN
// appends, so a migrated file has the same order as a new one).
enum Column {
  kId = 0,
  kStatus,
  kPriority,
  kModel,
  kVersion,
  kRoute,
  kInputContentType,
  kInputHeaders,
  kInputBody,
  kIdempotencyKey,
  kWebhookUrl,
  kWebhookStatus,
  kWebhookAttempts,
  kWebhookError,
  kWebhookNextUs,
  kRevision,
  kCreatedUs,
  kStartedUs,
  kFinishedUs,
  kNotBeforeUs,
  kLeaseUs,
  kMaxAttempts,
  kAttempts,
  kCancelRequested,
  kResultStatus,
  kResultContentType,
  kResultHeaders,
  kResultBody,
  kError,
  kWorker,
  kRequestFingerprint,  // added by schema 2 (ALTER TABLE on older files)
  kOwner,               // added by schema 3
  kColumnCount,
};

constexpr const char* kColumnNames[kColumnCount] = {
    "id",           "status",          "priority",
    "model",        "version",         "route",
    "input_content_type", "input_headers", "input_body",
    "idempotency_key", "webhook_url",   "webhook_status",
    "webhook_attempts", "webhook_error", "webhook_next_us",
    "revision",     "created_us",      "started_us",
    "finished_us",  "not_before_us",   "lease_us",
    "max_attempts", "attempts",        "cancel_requested",
    "result_status", "result_content_type", "result_headers",
    "result_body",  "error",           "worker",
    "request_fingerprint", "owner",
};

std::string BuildSelect(Bodies bodies) {
  std::string sql = "SELECT ";
  for (int c = 0; c < kColumnCount; ++c) {
    if (c > 0) sql += ", ";
    bool drop = (c == kInputBody && bodies != Bodies::kAll) ||
                (c == kResultBody && bodies == Bodies::kNone);
    sql += drop ? "NULL" : kColumnNames[c];
  }
  sql += " FROM jobs";
  return sql;
}

// --- blob codec -----------------------------------------------------------

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(v >> (8 * i)));
}
void PutI64(std::string& out, int64_t v) {
  uint64_t u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(u >> (8 * i)));
}
void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s.data(), s.size());
}

class BlobReader {
 public:
  explicit BlobReader(std::string_view data) : data_(data) {}
  bool U32(uint32_t& v) {
    if (data_.size() < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      v |= static_cast<uint32_t>(static_cast<unsigned char>(data_[i])) << (8 * i);
    }
    data_.remove_prefix(4);
    return true;
  }
  bool I64(int64_t& v) {
    if (data_.size() < 8) return false;
    uint64_t u = 0;
    for (int i = 0; i < 8; ++i) {
      u |= static_cast<uint64_t>(static_cast<unsigned char>(data_[i])) << (8 * i);
    }
    v = static_cast<int64_t>(u);
    data_.remove_prefix(8);
    return true;
  }
  bool String(std::string& s) {
    uint32_t n;
    if (!U32(n) || data_.size() < n) return false;
    s.assign(data_.data(), n);
    data_.remove_prefix(n);
    return true;
  }
  bool done() const { return data_.empty(); }

 private:
  std::string_view data_;
};

std::string EncodeHeaders(const HeaderList& headers) {
  if (headers.empty()) return std::string();
  std::string out;
  PutU32(out, static_cast<uint32_t>(headers.size()));
  for (const auto& [name, value] : headers) {
    PutString(out, name);
    PutString(out, value);
  }
  return out;
}

bool DecodeHeaders(std::string_view blob, HeaderList& headers) {
  headers.clear();
  if (blob.empty()) return true;
  BlobReader r(blob);
  uint32_t n;
  if (!r.U32(n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    std::string name, value;
    if (!r.String(name) || !r.String(value)) return false;
    headers.emplace_back(std::move(name), std::move(value));
  }
  return r.done();
}

std::string EncodeAttempts(const std::vector<JobAttempt>& attempts) {
  std::string out;
  PutU32(out, static_cast<uint32_t>(attempts.size()));
  for (const JobAttempt& a : attempts) {
    PutU32(out, static_cast<uint32_t>(a.number));
    PutI64(out, TimeToMicros(a.started));
    PutI64(out, TimeToMicros(a.finished));
    PutU32(out, a.interrupted ? 1 : 0);
    PutString(out, a.error);
  }
  return out;
}

bool DecodeAttempts(std::string_view blob, std::vector<JobAttempt>& attempts) {
  attempts.clear();
  if (blob.empty()) return true;
  BlobReader r(blob);
  uint32_t n;
  if (!r.U32(n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    JobAttempt a;
    uint32_t number, interrupted;
    int64_t started, finished;
    if (!r.U32(number) || !r.I64(started) || !r.I64(finished) ||
        !r.U32(interrupted) || !r.String(a.error)) {
      return false;
    }
    a.number = static_cast<int>(number);
    a.started = MicrosToTime(started);
    a.finished = MicrosToTime(finished);
    a.interrupted = interrupted != 0;
    attempts.push_back(std::move(a));
  }
  return r.done();
}

}  // namespace

const char kSchemaSql[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY NOT NULL,
  status INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  model TEXT NOT NULL,
  version TEXT NOT NULL,
  route TEXT NOT NULL,
  input_content_type TEXT NOT NULL,
  input_headers BLOB,
  input_body BLOB,
  idempotency_key TEXT,
  webhook_url TEXT NOT NULL,
  webhook_status INTEGER NOT NULL,
  webhook_attempts INTEGER NOT NULL,
  webhook_error TEXT NOT NULL,
  webhook_next_us INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  created_us INTEGER NOT NULL,
  started_us INTEGER NOT NULL,
  finished_us INTEGER NOT NULL,
  not_before_us INTEGER NOT NULL,
  lease_us INTEGER NOT NULL,
  max_attempts INTEGER NOT NULL,
  attempts BLOB,
  cancel_requested INTEGER NOT NULL,
  result_status INTEGER,
  result_content_type TEXT,
  result_headers BLOB,
  result_body BLOB,
  error TEXT NOT NULL,
  worker TEXT NOT NULL,
  request_fingerprint TEXT,
  owner TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_by_idempotency_key
  ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_queue
  ON jobs(priority, created_us) WHERE status = 0;
CREATE INDEX IF NOT EXISTS jobs_running
  ON jobs(lease_us) WHERE status = 1;
CREATE INDEX IF NOT EXISTS jobs_finished
  ON jobs(finished_us) WHERE status >= 2;
CREATE INDEX IF NOT EXISTS jobs_webhooks_due
  ON jobs(webhook_next_us) WHERE webhook_status = 2;
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs(created_us, id);
CREATE INDEX IF NOT EXISTS jobs_by_status_created
  ON jobs(status, created_us, id);
)sql";

const std::string& SelectJobSql(Bodies bodies) {
  static const std::string* all = new std::string(BuildSelect(Bodies::kAll));
  static const std::string* no_input =
      new std::string(BuildSelect(Bodies::kNoInput));
  static const std::string* none = new std::string(BuildSelect(Bodies::kNone));
  switch (bodies) {
    case Bodies::kAll:
      return *all;
    case Bodies::kNoInput:
      return *no_input;
    case Bodies::kNone:
      return *none;
  }
  return *all;
}

const char* SelectJobByIdSql(Bodies bodies) {
  static const std::string* sql[3] = {
      new std::string(SelectJobSql(Bodies::kAll) + " WHERE id = ?1"),
      new std::string(SelectJobSql(Bodies::kNoInput) + " WHERE id = ?1"),
      new std::string(SelectJobSql(Bodies::kNone) + " WHERE id = ?1"),
  };
  return sql[static_cast<int>(bodies)]->c_str();
}

const char* SelectJobByIdempotencyKeySql() {
  static const std::string* sql = new std::string(
      SelectJobSql(Bodies::kNoInput) + " WHERE idempotency_key = ?1");
  return sql->c_str();
}

const char* SelectDueWebhooksSql() {
  static const std::string* sql = new std::string(
      SelectJobSql(Bodies::kNoInput) +
      " WHERE webhook_status = 2 AND webhook_next_us <= ?1"
      " ORDER BY webhook_next_us LIMIT ?2");
  return sql->c_str();
}

const char kInsertJobSql[] =
    "INSERT INTO jobs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, "
    "?26, ?27, ?28, ?29, ?30, ?31, ?32)";

const char kUpdateJobSql[] =
    "UPDATE jobs SET status = ?2, priority = ?3, webhook_status = ?12, "
    "webhook_attempts = ?13, webhook_error = ?14, webhook_next_us = ?15, "
    "revision = ?16, started_us = ?18, finished_us = ?19, "
    "not_before_us = ?20, lease_us = ?21, max_attempts = ?22, "
    "attempts = ?23, cancel_requested = ?24, result_status = ?25, "
    "result_content_type = ?26, result_headers = ?27, result_body = ?28, "
    "error = ?29, worker = ?30 WHERE id = ?1";

int64_t TimeToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

absl::Time MicrosToTime(int64_t us) {
  if (us == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (us == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

absl::StatusOr<Job> ReadJob(const Statement& s) {
  Job job;
  job.id = s.ColumnString(kId);
  auto corrupt = [&](std::string_view what) {
    return absl::DataLossError(
        ToAbsl(StrCat("job ", job.id, ": corrupt ", what, " in the job store")));
  };
  int64_t status = s.ColumnInt(kStatus);
  int64_t priority = s.ColumnInt(kPriority);
  int64_t webhook_status = s.ColumnInt(kWebhookStatus);
  if (status < 0 || status >= kJobStatusCount) return corrupt("status");
  if (priority < 0 || priority >= kJobPriorityCount) return corrupt("priority");
  if (webhook_status < 0 ||
      webhook_status > static_cast<int>(WebhookStatus::kFailed)) {
    return corrupt("webhook status");
  }
  job.status = static_cast<JobStatus>(status);
  job.priority = static_cast<JobPriority>(priority);
  job.request.model = s.ColumnString(kModel);
  job.request.version = s.ColumnString(kVersion);
  job.request.route = s.ColumnString(kRoute);
  job.request.input.content_type = s.ColumnString(kInputContentType);
  if (!DecodeHeaders(s.ColumnString(kInputHeaders), job.request.input.headers)) {
    return corrupt("input headers");
  }
  job.request.input.body = s.ColumnString(kInputBody);
  job.idempotency_key = s.ColumnString(kIdempotencyKey);
  job.webhook_url = s.ColumnString(kWebhookUrl);
  job.webhook.status = static_cast<WebhookStatus>(webhook_status);
  job.webhook.attempts = static_cast<int>(s.ColumnInt(kWebhookAttempts));
  job.webhook.last_error = s.ColumnString(kWebhookError);
  job.webhook.next_attempt = MicrosToTime(s.ColumnInt(kWebhookNextUs));
  job.revision = s.ColumnInt(kRevision);
  job.created = MicrosToTime(s.ColumnInt(kCreatedUs));
  job.started = MicrosToTime(s.ColumnInt(kStartedUs));
  job.finished = MicrosToTime(s.ColumnInt(kFinishedUs));
  job.not_before = MicrosToTime(s.ColumnInt(kNotBeforeUs));
  job.lease_expires = MicrosToTime(s.ColumnInt(kLeaseUs));
  job.max_attempts = static_cast<int>(s.ColumnInt(kMaxAttempts));
  if (!DecodeAttempts(s.ColumnString(kAttempts), job.attempts)) {
    return corrupt("attempts");
  }
  job.cancel_requested = s.ColumnInt(kCancelRequested) != 0;
  if (!s.ColumnIsNull(kResultStatus)) {
    JobPayload result;
    result.http_status = static_cast<int>(s.ColumnInt(kResultStatus));
    result.content_type = s.ColumnString(kResultContentType);
    if (!DecodeHeaders(s.ColumnString(kResultHeaders), result.headers)) {
      return corrupt("result headers");
    }
    result.body = s.ColumnString(kResultBody);
    job.result = std::move(result);
  }
  job.error = s.ColumnString(kError);
  job.worker = s.ColumnString(kWorker);
  job.request_fingerprint = s.ColumnString(kRequestFingerprint);
  job.owner = s.ColumnString(kOwner);
  return job;
}

namespace {

void BindAll(Statement& s, const Job& job) {
  s.BindText(kId + 1, job.id);
  s.BindInt(kStatus + 1, static_cast<int>(job.status));
  s.BindInt(kPriority + 1, static_cast<int>(job.priority));
  s.BindText(kModel + 1, job.request.model);
  s.BindText(kVersion + 1, job.request.version);
  s.BindText(kRoute + 1, job.request.route);
  s.BindText(kInputContentType + 1, job.request.input.content_type);
  s.BindBlob(kInputHeaders + 1, EncodeHeaders(job.request.input.headers));
  s.BindBlob(kInputBody + 1, job.request.input.body);
  s.BindOptionalText(kIdempotencyKey + 1, job.idempotency_key);
  s.BindText(kWebhookUrl + 1, job.webhook_url);
  s.BindInt(kWebhookStatus + 1, static_cast<int>(job.webhook.status));
  s.BindInt(kWebhookAttempts + 1, job.webhook.attempts);
  s.BindText(kWebhookError + 1, job.webhook.last_error);
  s.BindInt(kWebhookNextUs + 1, TimeToMicros(job.webhook.next_attempt));
  s.BindInt(kRevision + 1, job.revision);
  s.BindInt(kCreatedUs + 1, TimeToMicros(job.created));
  s.BindInt(kStartedUs + 1, TimeToMicros(job.started));
  s.BindInt(kFinishedUs + 1, TimeToMicros(job.finished));
  s.BindInt(kNotBeforeUs + 1, TimeToMicros(job.not_before));
  s.BindInt(kLeaseUs + 1, TimeToMicros(job.lease_expires));
  s.BindInt(kMaxAttempts + 1, job.max_attempts);
  s.BindBlob(kAttempts + 1, EncodeAttempts(job.attempts));
  s.BindInt(kCancelRequested + 1, job.cancel_requested ? 1 : 0);
  if (job.result.has_value()) {
    s.BindInt(kResultStatus + 1, job.result->http_status);
    s.BindText(kResultContentType + 1, job.result->content_type);
    s.BindBlob(kResultHeaders + 1, EncodeHeaders(job.result->headers));
    s.BindBlob(kResultBody + 1, job.result->body);
  } else {
    s.BindNull(kResultStatus + 1);
    s.BindNull(kResultContentType + 1);
    s.BindNull(kResultHeaders + 1);
    s.BindNull(kResultBody + 1);
  }
  s.BindText(kError + 1, job.error);
  s.BindText(kWorker + 1, job.worker);
}

}  // namespace

void BindInsertJob(Statement& stmt, const Job& job) {
  BindAll(stmt, job);
  // Set once at submission; kUpdateJobSql leaves it alone.
  stmt.BindOptionalText(kRequestFingerprint + 1, job.request_fingerprint);
  stmt.BindOptionalText(kOwner + 1, job.owner);
}

void BindUpdateJob(Statement& stmt, const Job& job) { BindAll(stmt, job); }

std::string EncodeCursor(const Job& job) {
  return StrCat(TimeToMicros(job.created), ".", job.id);
}

bool DecodeCursor(std::string_view cursor, int64_t& created_us,
                  std::string& id) {
  size_t dot = cursor.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string number(cursor.substr(0, dot));
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(number.c_str(), &end, 10);
  if (errno != 0 || end != number.c_str() + number.size()) return false;
  created_us = v;
  id = std::string(cursor.substr(dot + 1));
  return IsValidJobId(id);
}

// Creates the tables of a new file, or brings an older file's up to date
// (columns added since schema 1), inside the caller's transaction.
absl::Status ApplySchema(SqliteDb& db) {
  INFERD_RETURN_IF_ERROR(db.Exec(kSchemaSql));
  std::set<std::string> columns;
  {
    INFERD_ASSIGN_OR_RETURN(ScopedStatement stmt,
                            db.Prepare("SELECT name FROM pragma_table_info('jobs')"));
    while (true) {
      INFERD_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      columns.insert(stmt->ColumnString(0));
    }
  }
  for (const ColumnMigration& migration : kMigrations) {
    if (columns.count(migration.column) == 0) {
      INFERD_RETURN_IF_ERROR(db.Exec(migration.add_sql));
    }
  }
  return db.Exec(StrCat("PRAGMA user_version=", kSchemaVersion));
}

}  // namespace inferd::jobs::internal
