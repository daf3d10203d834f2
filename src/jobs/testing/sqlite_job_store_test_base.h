#pragma once

// The fixture the SqliteJobStore tests share: a store in a temporary data
// directory on a fake clock, with an event hub, and helpers to submit and
// claim. Header-only; for tests.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "jobs/job_event_hub.h"
#include "jobs/sqlite_job_store.h"
#include "jobs/testing/temp_data_dir.h"

namespace inferd::jobs {

class SqliteJobStoreTest : public ::testing::Test {
 protected:
  SqliteJobStore::Options BaseOptions() {
    SqliteJobStore::Options options;
    options.data_dir = dir_.path();
    options.clock = &clock_;
    options.events = &hub_;
    return options;
  }

  std::unique_ptr<SqliteJobStore> OpenStore(
      SqliteJobStore::Options options) {
    auto store = SqliteJobStore::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<SqliteJobStore> OpenStore() { return OpenStore(BaseOptions()); }

  static JobSpec Spec(std::string model = "simple",
                      JobPriority priority = JobPriority::kNormal) {
    JobSpec spec;
    spec.request.model = std::move(model);
    spec.request.version = "1";
    spec.request.route = "infer";
    spec.request.input.content_type = "application/json";
    spec.request.input.body = R"({"inputs":[]})";
    spec.priority = priority;
    return spec;
  }

  Job SubmitOk(SqliteJobStore& store, JobSpec spec) {
    absl::StatusOr<SubmitResult> r = store.Submit(std::move(spec));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->job : Job{};
  }

  Job ClaimOk(SqliteJobStore& store) {
    absl::StatusOr<std::optional<Job>> claimed = store.ClaimNext("w");
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    EXPECT_TRUE(claimed.ok() && claimed->has_value()) << "nothing to claim";
    return claimed.ok() && claimed->has_value() ? **claimed : Job{};
  }

  bool NothingToClaim(SqliteJobStore& store) {
    absl::StatusOr<std::optional<Job>> claimed = store.ClaimNext("w");
    return claimed.ok() && !claimed->has_value();
  }

  testing::TempDataDir dir_;
  FakeClock clock_;
  JobEventHub hub_;
};

}  // namespace inferd::jobs
