#pragma once

// How a Job maps onto a row of the `jobs` table: the schema, the column
// lists, and the reading and binding of rows. Internal to SqliteJobStore.
//
// Header lists and attempts are stored as compact length-prefixed blobs
// (their own small format, versioned by the schema's user_version); times
// as Unix microseconds with INT64_MIN/INT64_MAX for infinite past/future.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobs/job.h"
#include "jobs/sqlite_db.h"

namespace inferd::jobs::internal {

// 1: the first release. 2: request_fingerprint (idempotency checks). 3: owner
// (the API key that submitted the job).
inline constexpr int kSchemaVersion = 3;
// Creates what is missing in a new file; an older file's table is brought
// up to date by kMigrations.
extern const char kSchemaSql[];

// Columns added after schema 1, each with the statement that adds it to an
// older table. Applied on open where PRAGMA table_info lacks the column.
struct ColumnMigration {
  const char* column;
  const char* add_sql;
};
inline constexpr ColumnMigration kMigrations[] = {
    {"request_fingerprint", "ALTER TABLE jobs ADD COLUMN request_fingerprint TEXT"},
    {"owner", "ALTER TABLE jobs ADD COLUMN owner TEXT"},
};

// SELECT <columns> FROM jobs, for the three body variants; append a WHERE.
enum class Bodies { kAll, kNoInput, kNone };
const std::string& SelectJobSql(Bodies bodies);

// Appends to SelectJobSql(...) and is cached by pointer, so each is a
// stable string: "... WHERE id = ?1".
const char* SelectJobByIdSql(Bodies bodies);
const char* SelectJobByIdempotencyKeySql();
const char* SelectDueWebhooksSql();

extern const char kInsertJobSql[];
// Every mutable column of `job`, keyed by id (not the input request).
extern const char kUpdateJobSql[];

int64_t TimeToMicros(absl::Time t);
absl::Time MicrosToTime(int64_t us);

// Reads the current row of a statement built on SelectJobSql.
absl::StatusOr<Job> ReadJob(const Statement& stmt);

void BindInsertJob(Statement& stmt, const Job& job);
void BindUpdateJob(Statement& stmt, const Job& job);

// Creates the tables of a new file, or brings an older file's up to date
// (kMigrations), inside the caller's transaction.
absl::Status ApplySchema(SqliteDb& db);

// The listing cursor of `job`: "<created_us>.<id>", and back (false when
// `cursor` is not one).
std::string EncodeCursor(const Job& job);
bool DecodeCursor(std::string_view cursor, int64_t& created_us, std::string& id);

}  // namespace inferd::jobs::internal
