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



TEST_F(SqliteJobStoreTest, BackoffIsCapped) {
  SqliteJobStore::Options options = BaseOptions();
  options.retry_initial_backoff = absl::Seconds(10);
  options.retry_max_backoff = absl::Seconds(45);
  auto store = OpenStore(options);
  EXPECT_EQ(store->RetryBackoff(1), absl::Seconds(10));
  EXPECT_EQ(store->RetryBackoff(2), absl::Seconds(20));
  EXPECT_EQ(store->RetryBackoff(3), absl::Seconds(40));
  EXPECT_EQ(store->RetryBackoff(4), absl::Seconds(45));
}

// Pages the database file uses, read through a separate connection.
int64_t PageCount(const std::string& path) {
  sqlite3* db = nullptr;
  int64_t pages = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA page_count", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      pages = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return pages;
}

TEST_F(SqliteJobStoreTest, PurgedSpaceIsReusedSoTheFileDoesNotGrow) {
  SqliteJobStore::Options options = BaseOptions();
  options.synchronous = SqliteJobStore::Synchronous::kNormal;
  auto store = OpenStore(options);
  JobSpec spec = Spec();
  spec.request.input.body = std::string(4096, 'b');
  std::vector<int64_t> pages;
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 200; ++i) {
      Job job = SubmitOk(*store, spec);
      ASSERT_TRUE(store->Cancel(job.id).ok());
    }
    clock_.Advance(absl::Hours(2));
    ASSERT_EQ(*store->PurgeExpired(), 200);
    pages.push_back(PageCount(store->path()));
  }
  ASSERT_GT(pages[0], 200);  // ~one page per 4 KiB body at least
  // Later rounds reuse the pages the purge freed (a little slack for index
  // pages splitting differently).
  EXPECT_LE(pages[3], pages[0] + pages[0] / 10) << pages[0] << " " << pages[3];
}

}  // namespace
}  // namespace inferd::jobs
