#pragma once

// SqliteDb: a thin RAII wrapper over one sqlite3 connection with a cache of
// prepared statements, turning SQLite result codes into absl::Status.
//
// Written here rather than taken from a library because Debian 12 ships no
// C++ SQLite wrapper, and the store needs only prepare/bind/step.
//
// Not thread-safe: one connection is used by one thread at a time (the
// caller serialises; the connection is opened with SQLITE_OPEN_NOMUTEX).
//
// Errors: Unavailable (busy, locked), ResourceExhausted (disk full, I/O,
// cannot open), DataLoss (a corrupt file or not a database), Internal.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct sqlite3;
struct sqlite3_stmt;

namespace inferd::jobs {

// A prepared statement owned by its SqliteDb; ScopedStatement resets it
// (and clears its bindings) when the user is done.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text and blobs are copied
  // (SQLITE_TRANSIENT), so the caller's bytes may go away at once.
  void BindInt(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::string_view value);
  void BindNull(int index);
  void BindOptionalText(int index, std::string_view value);  // "" -> NULL

  // true: a row is available; false: done. Errors name the SQL.
  absl::StatusOr<bool> Step();
  // Step() expecting no row (INSERT/UPDATE/DELETE).
  absl::Status Run();

  int64_t ColumnInt(int column) const;
  bool ColumnIsNull(int column) const;
  // Text or blob bytes of the current row, copied.
  std::string ColumnString(int column) const;

  void Reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Resets the statement when it goes out of scope, so the next user starts
// clean and read transactions are not held open by a half-stepped SELECT.
class ScopedStatement {
 public:
  explicit ScopedStatement(Statement* stmt) : stmt_(stmt) {}
  ~ScopedStatement() { stmt_->Reset(); }
  Statement* operator->() const { return stmt_; }

 private:
  Statement* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating when absent) the database file at `path`.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(
      const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without results.
  absl::Status Exec(std::string_view sql);

  // The cached prepared statement for `sql`, preparing it on first use.
  // `sql` must be a string literal or otherwise outlive the database.
  absl::StatusOr<ScopedStatement> Prepare(const char* sql);

  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;

  // The message of the last error, for status text.
  std::string LastError() const;

  sqlite3* raw() const { return db_; }

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::map<const char*, std::unique_ptr<Statement>> statements_;
};

}  // namespace inferd::jobs
