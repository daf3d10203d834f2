// Opening the store: idempotency keys across requests, schema migration,
// reopening, a second process, a damaged file, options.
#include "jobs/sqlite_job_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_fingerprint.h"
#include "jobs/testing/sqlite_job_store_test_base.h"

namespace inferd::jobs {
namespace {

using ::testing::HasSubstr;

TEST_F(SqliteJobStoreTest, IdempotencyKeyReturnsTheExistingJob) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.idempotency_key = "abc";
  absl::StatusOr<SubmitResult> first = store->Submit(spec);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  ClaimOk(*store);  // the existing job is returned in its current state
  absl::StatusOr<SubmitResult> again = store->Submit(spec);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, first->job.id);
  EXPECT_EQ(again->job.status, JobStatus::kRunning);

  spec.idempotency_key = "other";
  absl::StatusOr<SubmitResult> other = store->Submit(spec);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->created);
  EXPECT_NE(other->job.id, first->job.id);
  EXPECT_EQ(store->Counts()->by_status[static_cast<int>(JobStatus::kQueued)] +
                store->Counts()->by_status[static_cast<int>(JobStatus::kRunning)],
            2);
}

TEST_F(SqliteJobStoreTest, IdempotencyKeyReusedForADifferentRequestIsRefused) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.idempotency_key = "order-17";
  absl::StatusOr<SubmitResult> first = store->Submit(spec);
  ASSERT_TRUE(first.ok()) << first.status();

  std::vector<std::pair<std::string, JobSpec>> different;
  different.emplace_back("body", spec);
  different.back().second.request.input.body = R"({"inputs":[1]})";
  different.emplace_back("model", spec);
  different.back().second.request.model = "other";
  different.emplace_back("route", spec);
  different.back().second.request.route = "predict";
  different.emplace_back("version", spec);
  different.back().second.request.version = "2";
  different.emplace_back("content type", spec);
  different.back().second.request.input.content_type = "application/octet-stream";
  different.emplace_back("priority", spec);
  different.back().second.priority = JobPriority::kHigh;
  different.emplace_back("webhook", spec);
  different.back().second.webhook_url = "http://127.0.0.1:9/hook";
  for (const auto& [what, other] : different) {
    absl::StatusOr<SubmitResult> reused = store->Submit(other);
    ASSERT_FALSE(reused.ok()) << "a different " << what << " was accepted";
    EXPECT_EQ(reused.status().code(), absl::StatusCode::kAlreadyExists) << what;
    EXPECT_THAT(std::string(reused.status().message()), HasSubstr("\"order-17\""));
    EXPECT_THAT(std::string(reused.status().message()), HasSubstr(first->job.id));
  }

  // The same request again still returns the original job.
  absl::StatusOr<SubmitResult> again = store->Submit(spec);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, first->job.id);
  EXPECT_EQ(store->Counts()->by_status[static_cast<int>(JobStatus::kQueued)], 1);
  EXPECT_EQ(store->Get(first->job.id)->request_fingerprint, JobFingerprint(spec));
}

TEST_F(SqliteJobStoreTest, DatabaseFromBeforeFingerprintsIsMigratedOnOpen) {
  JobSpec spec = Spec();
  spec.idempotency_key = "legacy";
  std::string legacy_id;
  {
    auto store = OpenStore();
    legacy_id = SubmitOk(*store, spec).id;
  }
  // Turn the file into what schema 1 wrote: no request_fingerprint column
  // (nor the later owner column).
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/jobs.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db,
                          "ALTER TABLE jobs DROP COLUMN owner; "
                          "ALTER TABLE jobs DROP COLUMN request_fingerprint; "
                          "PRAGMA user_version=1;",
                          nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<Job> legacy = store->Get(legacy_id);
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_EQ(legacy->request.input.body, spec.request.input.body);
  EXPECT_EQ(legacy->request_fingerprint, "");
  // A job stored without a fingerprint cannot be compared: its key keeps
  // answering with the job, as before.
  JobSpec changed = spec;
  changed.request.input.body = R"({"inputs":[2]})";
  absl::StatusOr<SubmitResult> reused = store->Submit(changed);
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_FALSE(reused->created);
  EXPECT_EQ(reused->job.id, legacy_id);
  // New jobs get fingerprints and are checked.
  JobSpec fresh = Spec();
  fresh.idempotency_key = "fresh";
  SubmitOk(*store, fresh);
  fresh.request.model = "other";
  EXPECT_EQ(store->Submit(fresh).status().code(), absl::StatusCode::kAlreadyExists);
  // The file says it is schema 3 now.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() + "/jobs.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 3);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(SqliteJobStoreTest, DatabaseFromBeforeOwnersIsMigratedAndListsByOwner) {
  std::string legacy_id;
  {
    auto store = OpenStore();
    legacy_id = SubmitOk(*store, Spec()).id;
  }
  // What schema 2 wrote: no owner column.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/jobs.db").c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, "ALTER TABLE jobs DROP COLUMN owner; PRAGMA user_version=2;",
                          nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<Job> legacy = store->Get(legacy_id);
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_EQ(legacy->owner, "");
  JobSpec alice = Spec();
  alice.owner = "alice";
  const std::string alice_id = SubmitOk(*store, alice).id;
  JobSpec bob = Spec();
  bob.owner = "bob";
  SubmitOk(*store, bob);
  EXPECT_EQ(store->Get(alice_id)->owner, "alice");

  ListQuery query;
  query.owner = "alice";
  absl::StatusOr<ListPage> page = store->List(query);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].id, alice_id);
  query.owner = "";
  EXPECT_EQ(store->List(query)->jobs.size(), 3u);
}

TEST_F(SqliteJobStoreTest, IdempotencyKeyOfAnotherOwnerIsRefused) {
  auto store = OpenStore();
  JobSpec alice = Spec();
  alice.owner = "alice";
  alice.idempotency_key = "shared";
  SubmitOk(*store, alice);
  JobSpec bob = alice;
  bob.owner = "bob";
  absl::Status refused = store->Submit(bob).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(refused.message()), ::testing::HasSubstr("another API key"));
  // The message does not give the other owner's job away.
  EXPECT_THAT(std::string(refused.message()), ::testing::Not(::testing::HasSubstr("job ")));
}

TEST_F(SqliteJobStoreTest, GetUnknownOrMalformedIdIsNotFound) {
  auto store = OpenStore();
  EXPECT_TRUE(absl::IsNotFound(store->Get(NewJobId()).status()));
  EXPECT_TRUE(absl::IsNotFound(store->Get("../etc/passwd").status()));
}

TEST_F(SqliteJobStoreTest, SubmissionsSurviveReopening) {
  std::string id;
  {
    auto store = OpenStore();
    id = SubmitOk(*store, Spec()).id;
  }
  auto store = OpenStore();
  absl::StatusOr<Job> got = store->Get(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->request.input.body, Spec().request.input.body);
  EXPECT_EQ(store->Counts()->by_status[static_cast<int>(JobStatus::kQueued)], 1);
}

TEST_F(SqliteJobStoreTest, SecondStoreOnTheSameDataDirIsRefused) {
  auto store = OpenStore();
  absl::StatusOr<std::unique_ptr<SqliteJobStore>> second =
      SqliteJobStore::Open(BaseOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("in use"));
}

TEST_F(SqliteJobStoreTest, DamagedDatabaseIsDataLossNamingTheFileAndTheRemedy) {
  const std::string path = dir_.path() + "/jobs.db";
  // Garbage bytes, and a file that starts like a database but is not one.
  std::string garbage;
  for (int i = 0; i < 8192; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) % 251));
  std::string header_then_garbage = std::string("SQLite format 3", 16) + garbage;
  for (const std::string& content : {garbage, header_then_garbage}) {
    {
      std::ofstream file(path, std::ios::binary | std::ios::trunc);
      file << content;
    }
    absl::StatusOr<std::unique_ptr<SqliteJobStore>> store = SqliteJobStore::Open(BaseOptions());
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
    const std::string message(store.status().message());
    EXPECT_THAT(message, HasSubstr(path));
    EXPECT_THAT(message, HasSubstr("Move it away"));
    EXPECT_THAT(message, HasSubstr("restart inferd"));
    // The file is left as it was, for whoever investigates.
    std::ifstream file(path, std::ios::binary);
    std::string kept((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_EQ(kept, content);
  }
  // Once it is moved away, a new database opens (the lock was released).
  std::filesystem::rename(path, path + ".damaged");
  EXPECT_NE(OpenStore(), nullptr);
}

TEST_F(SqliteJobStoreTest, OpenValidatesOptions) {
  SqliteJobStore::Options options = BaseOptions();
  options.max_attempts = 0;
  EXPECT_FALSE(SqliteJobStore::Open(options).ok());
  options = BaseOptions();
  options.data_dir.clear();
  EXPECT_FALSE(SqliteJobStore::Open(options).ok());
}

}  // namespace
}  // namespace inferd::jobs
