#include "jobs/webhook_dispatcher.h"

#include <deque>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/sqlite_job_store.h"
#include "jobs/testing/temp_data_dir.h"

namespace inferd::jobs {
namespace {

class ScriptedNotifier : public WebhookNotifier {
 public:
  absl::Status Deliver(const Job& job) override {
    absl::MutexLock lock(&mu_);
    delivered_.push_back(job);
    if (script_.empty()) return absl::OkStatus();
    absl::Status next = script_.front();
    script_.pop_front();
    return next;
  }
  void Script(std::vector<absl::Status> statuses) {
    absl::MutexLock lock(&mu_);
    script_.assign(statuses.begin(), statuses.end());
  }
  std::vector<Job> delivered() {
    absl::MutexLock lock(&mu_);
    return delivered_;
  }

 private:
  absl::Mutex mu_;
  std::deque<absl::Status> script_ ABSL_GUARDED_BY(mu_);
  std::vector<Job> delivered_ ABSL_GUARDED_BY(mu_);
};

class WebhookDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteJobStore::Options options;
    options.data_dir = dir_.path();
    options.clock = &clock_;
    options.synchronous = SqliteJobStore::Synchronous::kNormal;
    store_ = std::move(SqliteJobStore::Open(options)).value();
    WebhookDispatcher::Options d;
    d.clock = &clock_;
    d.max_attempts = 3;
    d.initial_backoff = absl::Seconds(2);
    dispatcher_ =
        std::move(WebhookDispatcher::Create(d, store_.get(), &notifier_))
            .value();
  }

  // A finished job with a webhook.
  std::string FinishedJob() {
    JobSpec spec;
    spec.request.model = "m";
    spec.request.route = "infer";
    spec.webhook_url = "http://127.0.0.1:9/done";
    std::string id = store_->Submit(spec)->job.id;
    EXPECT_TRUE(store_->ClaimNext("w").ok());
    EXPECT_TRUE(store_->Complete(id, 1, JobPayload{200, "", {}, "{}"}).ok());
    return id;
  }

  testing::TempDataDir dir_;
  FakeClock clock_;
  std::unique_ptr<SqliteJobStore> store_;
  ScriptedNotifier notifier_;
  std::unique_ptr<WebhookDispatcher> dispatcher_;
};

TEST_F(WebhookDispatcherTest, DeliversTheFinalJobOnce) {
  std::string id = FinishedJob();
  EXPECT_EQ(*dispatcher_->RunOnce(), 1);
  ASSERT_EQ(notifier_.delivered().size(), 1u);
  EXPECT_EQ(notifier_.delivered()[0].id, id);
  EXPECT_EQ(notifier_.delivered()[0].status, JobStatus::kSucceeded);
  EXPECT_EQ(notifier_.delivered()[0].webhook_url, "http://127.0.0.1:9/done");
  EXPECT_EQ(store_->Get(id)->webhook.status, WebhookStatus::kDelivered);
  EXPECT_EQ(*dispatcher_->RunOnce(), 0);
}

TEST_F(WebhookDispatcherTest, RetriesWithBackoffThenRecordsFailure) {
  std::string id = FinishedJob();
  notifier_.Script({absl::UnavailableError("connection refused"),
                    absl::DeadlineExceededError("timed out"),
                    absl::InternalError("HTTP 500")});
  EXPECT_EQ(*dispatcher_->RunOnce(), 1);
  absl::StatusOr<Job> job = store_->Get(id);
  EXPECT_EQ(job->webhook.status, WebhookStatus::kPending);
  EXPECT_EQ(job->webhook.next_attempt, clock_.Now() + absl::Seconds(2));
  EXPECT_EQ(job->webhook.last_error, "connection refused");

  EXPECT_EQ(*dispatcher_->RunOnce(), 0);  // not due yet
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(*dispatcher_->RunOnce(), 1);
  EXPECT_EQ(store_->Get(id)->webhook.next_attempt,
            clock_.Now() + absl::Seconds(4));
  clock_.Advance(absl::Seconds(4));
  EXPECT_EQ(*dispatcher_->RunOnce(), 1);

  job = store_->Get(id);
  EXPECT_EQ(job->webhook.status, WebhookStatus::kFailed);
  EXPECT_EQ(job->webhook.attempts, 3);
  EXPECT_EQ(job->webhook.last_error, "HTTP 500");
  EXPECT_EQ(job->status, JobStatus::kSucceeded);  // the job itself is fine
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(*dispatcher_->RunOnce(), 0);
  EXPECT_EQ(notifier_.delivered().size(), 3u);
}

TEST_F(WebhookDispatcherTest, JobsWithoutWebhookAreNeverDelivered) {
  JobSpec spec;
  spec.request.model = "m";
  spec.request.route = "infer";
  std::string id = store_->Submit(spec)->job.id;
  ASSERT_TRUE(store_->ClaimNext("w").ok());
  ASSERT_TRUE(store_->Complete(id, 1, JobPayload{}).ok());
  EXPECT_EQ(store_->Get(id)->webhook.status, WebhookStatus::kNone);
  EXPECT_EQ(*dispatcher_->RunOnce(), 0);
}

TEST_F(WebhookDispatcherTest, CreateValidates) {
  WebhookDispatcher::Options d;
  EXPECT_FALSE(WebhookDispatcher::Create(d, nullptr, &notifier_).ok());
  d.max_attempts = 0;
  EXPECT_FALSE(WebhookDispatcher::Create(d, store_.get(), &notifier_).ok());
}

}  // namespace
}  // namespace inferd::jobs
