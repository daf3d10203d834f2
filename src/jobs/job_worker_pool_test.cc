#include "jobs/job_worker_pool.h"

#include <atomic>
#include <new>
#include <stdexcept>
#include <thread>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/sqlite_job_store.h"
#include "jobs/testing/temp_data_dir.h"

namespace inferd::jobs {
namespace {

using ::testing::HasSubstr;

// A store that counts the looks (ClaimNext calls) of the workers and passes
// everything to a real one.
class CountingStore : public JobStore {
 public:
  explicit CountingStore(JobStore* store) : store_(store) {}
  int looks() const { return looks_.load(); }

  void SubmitAsync(JobSpec spec, SubmitCallback done) override {
    store_->SubmitAsync(std::move(spec), std::move(done));
  }
  absl::StatusOr<Job> Get(std::string_view id) override { return store_->Get(id); }
  absl::StatusOr<ListPage> List(const ListQuery& query) override { return store_->List(query); }
  absl::StatusOr<CancelResult> Cancel(std::string_view id) override { return store_->Cancel(id); }
  absl::StatusOr<std::optional<Job>> ClaimNext(std::string_view worker) override {
    ++looks_;
    return store_->ClaimNext(worker);
  }
  absl::Status RenewLease(std::string_view id, int attempt) override {
    return store_->RenewLease(id, attempt);
  }
  absl::StatusOr<Job> Finish(std::string_view id, int attempt, const JobOutcome& outcome) override {
    return store_->Finish(id, attempt, outcome);
  }
  absl::StatusOr<int> RecoverAfterCrash() override { return store_->RecoverAfterCrash(); }
  absl::StatusOr<int> RequeueExpiredLeases() override { return store_->RequeueExpiredLeases(); }
  absl::StatusOr<int> PurgeExpired() override { return store_->PurgeExpired(); }
  absl::StatusOr<std::vector<Job>> DueWebhooks(int limit) override {
    return store_->DueWebhooks(limit);
  }
  absl::Status RecordWebhookAttempt(std::string_view id, const absl::Status& delivery,
                                    absl::Time next_attempt) override {
    return store_->RecordWebhookAttempt(id, delivery, next_attempt);
  }
  absl::StatusOr<JobCounts> Counts() override { return store_->Counts(); }

 private:
  JobStore* const store_;
  std::atomic<int> looks_{0};
};

// Bound on how long a test waits for a worker thread (never reached when
// the code works; a failure instead of a hang when it does not).
constexpr absl::Duration kPatience = absl::Seconds(30);

class JobWorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteJobStore::Options options;
    options.data_dir = dir_.path();
    options.clock = &clock_;
    options.events = &hub_;
    options.synchronous = SqliteJobStore::Synchronous::kNormal;
    auto store = SqliteJobStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
  }

  std::unique_ptr<JobWorkerPool> MakePool(JobWorkerPool::Executor executor,
                                          int workers = 2,
                                          bool interruptible = false) {
    JobWorkerPool::Options options;
    options.workers = workers;
    options.interruptible = interruptible;
    options.clock = &clock_;
    options.events = &hub_;
    auto pool = JobWorkerPool::Create(options, store_.get(), std::move(executor));
    EXPECT_TRUE(pool.ok()) << pool.status();
    return std::move(pool).value();
  }

  std::string Submit(std::string body) {
    JobSpec spec;
    spec.request.model = "simple";
    spec.request.route = "infer";
    spec.request.input.body = std::move(body);
    absl::StatusOr<SubmitResult> r = store_->Submit(std::move(spec));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->job.id : "";
  }

  // Waits (bounded, on real time) for `id` to reach `status`.
  static bool WaitFor(JobEventQueue& events, const std::string& id,
                      JobStatus status) {
    while (true) {
      std::optional<JobEvent> e = events.Next(kPatience);
      if (!e.has_value()) return false;
      if (e->job_id == id && e->status == status) return true;
    }
  }

  testing::TempDataDir dir_;
  FakeClock clock_;
  JobEventHub hub_;
  std::unique_ptr<SqliteJobStore> store_;
};

TEST_F(JobWorkerPoolTest, CreateValidatesItsArguments) {
  JobWorkerPool::Options options;
  auto ok = [](const Job&, const JobCancellation&) { return JobOutcome{}; };
  EXPECT_FALSE(JobWorkerPool::Create(options, nullptr, ok).ok());
  EXPECT_FALSE(JobWorkerPool::Create(options, store_.get(), nullptr).ok());
  options.workers = 0;
  EXPECT_FALSE(JobWorkerPool::Create(options, store_.get(), ok).ok());
}

TEST_F(JobWorkerPoolTest, RunsEveryJobAndStoresItsResult) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  auto pool = MakePool([](const Job& job, const JobCancellation&) {
    JobPayload out;
    out.http_status = 200;
    out.content_type = "text/plain";
    out.body = "echo:" + job.request.input.body;
    return JobOutcome::Success(out);
  });
  pool->Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Submit("in" + std::to_string(i)));
  for (int i = 0; i < 5; ++i) {
    absl::StatusOr<Job> job;
    // Each job's own success event (order between jobs is not fixed).
    JobEventQueue one(&hub_, ids[i], RealClock::Get());
    job = store_->Get(ids[i]);
    ASSERT_TRUE(job.ok());
    if (job->status != JobStatus::kSucceeded) {
      ASSERT_TRUE(WaitFor(one, ids[i], JobStatus::kSucceeded));
      job = store_->Get(ids[i]);
    }
    EXPECT_EQ(job->status, JobStatus::kSucceeded);
    EXPECT_EQ(job->result->body, "echo:in" + std::to_string(i));
    EXPECT_THAT(job->worker, HasSubstr("worker-"));
  }
  pool->Stop();
  EXPECT_EQ(pool->stats().succeeded, 5u);
  EXPECT_EQ(pool->stats().claimed, 5u);
}

TEST_F(JobWorkerPoolTest, AQueuedJobWakesOneIdleWorkerNotAll) {
  // Each look is a store round trip (a Lua script on Redis): eight idle
  // workers must not all look for a job only one of them can claim.
  CountingStore counting(store_.get());
  JobWorkerPool::Options options;
  options.workers = 8;
  options.clock = &clock_;  // never advanced: no poll-interval looks
  options.events = &hub_;
  auto pool = JobWorkerPool::Create(options, &counting, [](const Job&, const JobCancellation&) {
    JobPayload out;
    out.http_status = 200;
    return JobOutcome::Success(out);
  });
  ASSERT_TRUE(pool.ok()) << pool.status();
  (*pool)->Start();
  // Every worker looks once at start and finds nothing.
  const absl::Time deadline = absl::Now() + kPatience;
  while (counting.looks() < 8 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(counting.looks(), 8);
  JobEventQueue events(&hub_, "", RealClock::Get());
  const std::string id = Submit("x");
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kSucceeded));
  // Give wrongly woken workers time to look (they would at once).
  absl::SleepFor(absl::Milliseconds(200));
  // The woken worker's claim, and its look for the next job after running
  // it; with every worker woken this was 8 + 1.
  EXPECT_LE(counting.looks() - 8, 2);
  (*pool)->Stop();
  EXPECT_EQ((*pool)->stats().succeeded, 1u);
}

TEST_F(JobWorkerPoolTest, RetryableFailureIsRetriedAfterBackoffOnTheClock) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  std::atomic<int> calls{0};
  auto pool = MakePool([&](const Job& job, const JobCancellation&) {
    if (++calls == 1) return JobOutcome::Retryable("model unavailable");
    return JobOutcome::Success(JobPayload{200, "", {}, "ok"});
  });
  pool->Start();
  std::string id = Submit("x");
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kRunning));
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kQueued));  // back, with backoff
  EXPECT_EQ(calls.load(), 1);
  clock_.Advance(absl::Seconds(1));  // the 1 s backoff passes
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kSucceeded));
  absl::StatusOr<Job> job = store_->Get(id);
  ASSERT_EQ(job->attempts.size(), 2u);
  EXPECT_EQ(job->attempts[0].error, "model unavailable");
  pool->Stop();
  EXPECT_EQ(pool->stats().retried, 1u);
  EXPECT_EQ(pool->stats().succeeded, 1u);
}

TEST_F(JobWorkerPoolTest, PermanentFailureAndThrowingExecutorAreRecorded) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  auto pool = MakePool([](const Job& job, const JobCancellation&) -> JobOutcome {
    if (job.request.input.body == "throw") throw std::runtime_error("bug");
    return JobOutcome::Permanent("input \"x\": bad");
  });
  pool->Start();
  std::string bad = Submit("bad");
  ASSERT_TRUE(WaitFor(events, bad, JobStatus::kFailed));
  EXPECT_EQ(store_->Get(bad)->error, "input \"x\": bad");

  std::string thrower = Submit("throw");
  ASSERT_TRUE(WaitFor(events, thrower, JobStatus::kFailed));
  absl::StatusOr<Job> job = store_->Get(thrower);
  ASSERT_EQ(job->attempts.size(), 1u);
  EXPECT_THAT(job->attempts[0].error, HasSubstr("executor threw: bug"));
  pool->Stop();
  EXPECT_EQ(pool->stats().failed, 2u);
  EXPECT_EQ(pool->stats().retried, 0u);
}

TEST_F(JobWorkerPoolTest, ExecutorThatThrowsFailsAtOnceWithItsMessage) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  std::atomic<int> calls{0};
  auto pool = MakePool([&](const Job&, const JobCancellation&) -> JobOutcome {
    ++calls;
    throw std::bad_alloc();
  });
  pool->Start();
  std::string id = Submit("huge");
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kFailed));
  // No backoff is waited out and nothing is queued again: had the failure
  // been retryable, the job would be queued (on the fake clock) instead.
  absl::StatusOr<Job> job = store_->Get(id);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->status, JobStatus::kFailed);
  ASSERT_EQ(job->attempts.size(), 1u);
  EXPECT_THAT(job->error, HasSubstr("executor threw: std::bad_alloc"));
  EXPECT_EQ(calls.load(), 1);
  pool->Stop();
  EXPECT_EQ(pool->stats().retried, 0u);
}

TEST_F(JobWorkerPoolTest, CancelInterruptsARunningJobWhenTheExecutorCan) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  absl::Notification started;
  auto pool = MakePool(
      [&](const Job&, const JobCancellation& cancel) {
        started.Notify();
        while (!cancel.requested()) std::this_thread::yield();
        return JobOutcome::Cancelled();
      },
      1, /*interruptible=*/true);
  pool->Start();
  std::string id = Submit("long");
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kPatience));
  absl::StatusOr<JobWorkerPool::CancelReply> reply = pool->Cancel(id);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->store_result.outcome, CancelOutcome::kCancelRequested);
  EXPECT_TRUE(reply->interrupted);
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kCancelled));
  pool->Stop();
  EXPECT_EQ(pool->stats().cancelled, 1u);
}

TEST_F(JobWorkerPoolTest, CancelOfARunningJobLetsItFinishWhenNotInterruptible) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  absl::Notification started, release;
  auto pool = MakePool(
      [&](const Job&, const JobCancellation&) {
        started.Notify();
        release.WaitForNotification();
        return JobOutcome::Success(JobPayload{200, "", {}, "done"});
      },
      1, /*interruptible=*/false);
  pool->Start();
  std::string id = Submit("long");
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kPatience));
  absl::StatusOr<JobWorkerPool::CancelReply> reply = pool->Cancel(id);
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->store_result.outcome, CancelOutcome::kCancelRequested);
  EXPECT_FALSE(reply->interrupted);
  release.Notify();
  ASSERT_TRUE(WaitFor(events, id, JobStatus::kSucceeded));
  pool->Stop();
}

TEST_F(JobWorkerPoolTest, NoMoreJobsRunAtOnceThanWorkers) {
  JobEventQueue events(&hub_, "", RealClock::Get());
  absl::Notification release;
  std::atomic<int> concurrent{0}, peak{0};
  auto pool = MakePool(
      [&](const Job&, const JobCancellation&) {
        int now = ++concurrent;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        release.WaitForNotification();
        --concurrent;
        return JobOutcome::Success(JobPayload{200, "", {}, ""});
      },
      2);
  pool->Start();
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(Submit("j"));
  // Two start; the third stays queued while they block.
  while (pool->stats().running < 2) std::this_thread::yield();
  absl::StatusOr<JobCounts> counts = store_->Counts();
  EXPECT_EQ(counts->by_status[static_cast<int>(JobStatus::kQueued)], 1);
  release.Notify();
  for (const std::string& id : ids) {
    JobEventQueue one(&hub_, id, RealClock::Get());
    if (store_->Get(id)->status != JobStatus::kSucceeded) {
      ASSERT_TRUE(WaitFor(one, id, JobStatus::kSucceeded));
    }
  }
  pool->Stop();
  EXPECT_EQ(peak.load(), 2);
}

}  // namespace
}  // namespace inferd::jobs
