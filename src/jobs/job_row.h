#pragma once

// How a Job maps onto a row of the `jobs` table: the schema, the column
// lists, and the reading and binding of rows. Internal to SqliteJobStore.
//
// Header lists and attempts are stored as compact length-prefixed blobs
// (their own small format, versioned by the schema's user_version); times
// as Unix microseconds with INT64_MIN/INT64_MAX for infinite past/future.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "jobs/job.h"
#include "jobs/sqlite_db.h"

namespace inferd::jobs::internal {

inline constexpr int kSchemaVersion = 1;
extern const char kSchemaSql[];

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

}  // namespace inferd::jobs::internal
