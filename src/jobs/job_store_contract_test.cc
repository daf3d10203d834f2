// The JobStore contract: one suite of behaviours every job store must show
// (state machine, retries and backoff, attempts and dead letter, leases,
// cancel, listing and cursors, purge, events, webhooks, idempotency), run
// against the SQLite store and against the Redis store (a real
// redis-server on a free loopback port, started once for the suite).

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"
#include "jobs/redis_job_store.h"
#include "jobs/sqlite_job_store.h"
#include "jobs/testing/temp_data_dir.h"
#include "redis/testing/redis_test_server.h"

namespace inferd::jobs {
namespace {

using ::testing::HasSubstr;

enum class StoreKind { kSqlite, kRedis };

// One redis-server for the whole suite; each test uses its own key prefix.
redis::testing::RedisTestServer& SharedRedis() {
  static redis::testing::RedisTestServer server;  // stopped at exit
  return server;
}

class JobStoreContractTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StoreKind::kRedis) {
      if (!SharedRedis().ok()) GTEST_SKIP() << SharedRedis().error();
      static int test_number = 0;
      prefix_ = "test" + std::to_string(++test_number) + "-" + NewJobId() + ":";
    }
  }

  // The store of this test; a second call opens the same storage again (a
  // restarted process: the previous one must have been destroyed).
  std::unique_ptr<JobStore> OpenStore() {
    if (GetParam() == StoreKind::kSqlite) {
      SqliteJobStore::Options options;
      options.data_dir = dir_.path();
      options.clock = &clock_;
      options.events = &hub_;
      auto store = SqliteJobStore::Open(std::move(options));
      EXPECT_TRUE(store.ok()) << store.status();
      return store.ok() ? std::move(store).value() : nullptr;
    }
    RedisJobStore::Options options;
    options.client = SharedRedis().client();
    options.prefix = prefix_;
    options.replica = "w";  // ClaimOk's worker name is "w": its jobs are this replica's
    options.clock = &clock_;
    options.events = &hub_;
    options.subscribe = false;
    auto store = RedisJobStore::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  static JobSpec Spec(std::string model = "simple", JobPriority priority = JobPriority::kNormal) {
    JobSpec spec;
    spec.request.model = std::move(model);
    spec.request.version = "1";
    spec.request.route = "infer";
    spec.request.input.content_type = "application/json";
    spec.request.input.body = R"({"inputs":[]})";
    spec.priority = priority;
    return spec;
  }

  Job SubmitOk(JobStore& store, JobSpec spec) {
    absl::StatusOr<SubmitResult> r = store.Submit(std::move(spec));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->job : Job{};
  }

  // Claims as worker "w-0" (the Redis store's RecoverAfterCrash takes back
  // the jobs of its own replica, "w").
  Job ClaimOk(JobStore& store) {
    absl::StatusOr<std::optional<Job>> claimed = store.ClaimNext("w-0");
    EXPECT_TRUE(claimed.ok()) << claimed.status();
    EXPECT_TRUE(claimed.ok() && claimed->has_value()) << "nothing to claim";
    return claimed.ok() && claimed->has_value() ? **claimed : Job{};
  }

  bool NothingToClaim(JobStore& store) {
    absl::StatusOr<std::optional<Job>> claimed = store.ClaimNext("w-0");
    return claimed.ok() && !claimed->has_value();
  }

  testing::TempDataDir dir_;
  std::string prefix_;
  FakeClock clock_;
  JobEventHub hub_;
};

JobPayload BinaryResult() {
  JobPayload result;
  result.http_status = 200;
  result.content_type = "application/octet-stream";
  result.headers = {{"Inference-Header-Content-Length", "42"}};
  result.body = std::string("{\"outputs\":[]}\0\x01\x02\xff", 18);
  return result;
}

TEST_P(JobStoreContractTest, SubmitStoresTheExactRequestAndGetReturnsIt) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.request.input.content_type = "application/octet-stream";
  spec.request.input.headers = {{"Inference-Header-Content-Length", "13"}};
  spec.request.input.body = std::string("{\"inputs\":[]}\0\x7f\xfe", 16);
  spec.idempotency_key = "key-1";
  spec.webhook_url = "http://127.0.0.1:9/hook";
  Job submitted = SubmitOk(*store, spec);

  EXPECT_TRUE(IsValidJobId(submitted.id)) << submitted.id;
  absl::StatusOr<Job> got = store->Get(submitted.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, JobStatus::kQueued);
  EXPECT_EQ(got->priority, JobPriority::kNormal);
  EXPECT_EQ(got->request.model, "simple");
  EXPECT_EQ(got->request.version, "1");
  EXPECT_EQ(got->request.route, "infer");
  EXPECT_EQ(got->request.input.content_type, "application/octet-stream");
  EXPECT_EQ(got->request.input.headers, spec.request.input.headers);
  EXPECT_EQ(got->request.input.body, spec.request.input.body);
  EXPECT_EQ(got->idempotency_key, "key-1");
  EXPECT_EQ(got->webhook_url, "http://127.0.0.1:9/hook");
  EXPECT_EQ(got->webhook.status, WebhookStatus::kWaiting);
  EXPECT_EQ(got->created, clock_.Now());
  EXPECT_EQ(got->started, absl::InfinitePast());
  EXPECT_EQ(got->finished, absl::InfinitePast());
  EXPECT_EQ(got->max_attempts, 3);
  EXPECT_EQ(got->revision, 1);
  EXPECT_TRUE(got->attempts.empty());
  EXPECT_FALSE(got->result.has_value());
}

TEST_P(JobStoreContractTest, SubmitRequiresModelAndRoute) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.request.model.clear();
  EXPECT_EQ(store->Submit(spec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(JobStoreContractTest, ClaimTakesHigherPriorityFirstThenOldest) {
  auto store = OpenStore();
  Job low = SubmitOk(*store, Spec("m", JobPriority::kLow));
  clock_.Advance(absl::Milliseconds(1));
  Job normal1 = SubmitOk(*store, Spec("m", JobPriority::kNormal));
  clock_.Advance(absl::Milliseconds(1));
  Job high = SubmitOk(*store, Spec("m", JobPriority::kHigh));
  clock_.Advance(absl::Milliseconds(1));
  Job normal2 = SubmitOk(*store, Spec("m", JobPriority::kNormal));

  EXPECT_EQ(ClaimOk(*store).id, high.id);
  EXPECT_EQ(ClaimOk(*store).id, normal1.id);
  EXPECT_EQ(ClaimOk(*store).id, normal2.id);
  Job last = ClaimOk(*store);
  EXPECT_EQ(last.id, low.id);
  EXPECT_TRUE(NothingToClaim(*store));

  EXPECT_EQ(last.status, JobStatus::kRunning);
  EXPECT_EQ(last.worker, "w-0");
  EXPECT_EQ(last.attempt_count(), 1);
  EXPECT_EQ(last.attempts[0].number, 1);
  EXPECT_EQ(last.started, clock_.Now());
  EXPECT_EQ(last.lease_expires, clock_.Now() + absl::Minutes(10));
  EXPECT_EQ(last.request.input.body, Spec().request.input.body);
}

TEST_P(JobStoreContractTest, WaitingLowPriorityJobsArePromotedByAge) {
  auto store = OpenStore();  // promotion_age 30 s
  Job low = SubmitOk(*store, Spec("m", JobPriority::kLow));
  clock_.Advance(absl::Seconds(31));  // low now competes as normal
  Job normal = SubmitOk(*store, Spec("m", JobPriority::kNormal));
  Job high = SubmitOk(*store, Spec("m", JobPriority::kHigh));
  EXPECT_EQ(ClaimOk(*store).id, high.id);
  EXPECT_EQ(ClaimOk(*store).id, low.id);  // ties normal, but is older
  EXPECT_EQ(ClaimOk(*store).id, normal.id);

  // After two promotion periods a low job beats a fresh high one.
  Job old_low = SubmitOk(*store, Spec("m", JobPriority::kLow));
  clock_.Advance(absl::Seconds(61));
  Job fresh_high = SubmitOk(*store, Spec("m", JobPriority::kHigh));
  EXPECT_EQ(ClaimOk(*store).id, old_low.id);
  EXPECT_EQ(ClaimOk(*store).id, fresh_high.id);
}

TEST_P(JobStoreContractTest, CompleteStoresTheExactResult) {
  auto store = OpenStore();
  Job job = SubmitOk(*store, Spec());
  Job claimed = ClaimOk(*store);
  clock_.Advance(absl::Milliseconds(250));
  absl::StatusOr<Job> done = store->Complete(job.id, 1, BinaryResult());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->status, JobStatus::kSucceeded);

  absl::StatusOr<Job> got = store->Get(job.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->status, JobStatus::kSucceeded);
  ASSERT_TRUE(got->result.has_value());
  EXPECT_EQ(got->result->http_status, 200);
  EXPECT_EQ(got->result->content_type, "application/octet-stream");
  EXPECT_EQ(got->result->headers, BinaryResult().headers);
  EXPECT_EQ(got->result->body, BinaryResult().body);
  EXPECT_EQ(got->finished, clock_.Now());
  EXPECT_EQ(got->started, claimed.started);
  ASSERT_EQ(got->attempts.size(), 1u);
  EXPECT_EQ(got->attempts[0].finished, clock_.Now());
  EXPECT_TRUE(got->attempts[0].error.empty());
  EXPECT_EQ(got->revision, 3);  // submitted, claimed, succeeded
  // Final jobs cannot be finished again.
  EXPECT_EQ(store->Complete(job.id, 1, BinaryResult()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(JobStoreContractTest, RetryableFailuresBackOffExponentiallyThenFail) {
  auto store = OpenStore();  // 3 attempts, 1 s initial, x2
  Job job = SubmitOk(*store, Spec());

  ClaimOk(*store);
  absl::StatusOr<Job> after1 = store->Fail(job.id, 1, "model unavailable", true);
  ASSERT_TRUE(after1.ok()) << after1.status();
  EXPECT_EQ(after1->status, JobStatus::kQueued);
  EXPECT_EQ(after1->not_before, clock_.Now() + absl::Seconds(1));
  EXPECT_TRUE(NothingToClaim(*store));  // backoff not over
  clock_.Advance(absl::Seconds(1));

  EXPECT_EQ(ClaimOk(*store).attempt_count(), 2);
  absl::StatusOr<Job> after2 = store->Fail(job.id, 2, "queue full", true);
  ASSERT_TRUE(after2.ok());
  EXPECT_EQ(after2->not_before, clock_.Now() + absl::Seconds(2));
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(NothingToClaim(*store));
  clock_.Advance(absl::Seconds(1));

  EXPECT_EQ(ClaimOk(*store).attempt_count(), 3);
  absl::StatusOr<Job> after3 = store->Fail(job.id, 3, "boom", true);
  ASSERT_TRUE(after3.ok());
  EXPECT_EQ(after3->status, JobStatus::kFailed);
  EXPECT_THAT(after3->error, HasSubstr("after 3 attempts: boom"));

  // The dead-letter record keeps every attempt's error.
  absl::StatusOr<Job> got = store->Get(job.id);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->attempts.size(), 3u);
  EXPECT_EQ(got->attempts[0].error, "model unavailable");
  EXPECT_EQ(got->attempts[1].error, "queue full");
  EXPECT_EQ(got->attempts[2].error, "boom");
  EXPECT_EQ(got->finished, clock_.Now());
  EXPECT_TRUE(NothingToClaim(*store));
}

TEST_P(JobStoreContractTest, PermanentFailureFailsAtOnceAndKeepsTheRouteAnswer) {
  auto store = OpenStore();
  Job job = SubmitOk(*store, Spec());
  ClaimOk(*store);
  JobOutcome outcome = JobOutcome::Permanent("input \"x\": bad shape");
  outcome.result.http_status = 400;
  outcome.result.body = R"({"error":"input \"x\": bad shape"})";
  absl::StatusOr<Job> done = store->Finish(job.id, 1, outcome);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, JobStatus::kFailed);
  EXPECT_EQ(done->error, "input \"x\": bad shape");
  ASSERT_TRUE(done->result.has_value());
  EXPECT_EQ(done->result->http_status, 400);
}

TEST_P(JobStoreContractTest, SpecMaxAttemptsOverridesTheDefault) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.max_attempts = 1;
  Job job = SubmitOk(*store, spec);
  ClaimOk(*store);
  EXPECT_EQ(store->Fail(job.id, 1, "x", true)->status, JobStatus::kFailed);
}

TEST_P(JobStoreContractTest, CancelQueuedJobNeverRuns) {
  auto store = OpenStore();
  Job job = SubmitOk(*store, Spec());
  absl::StatusOr<CancelResult> cancel = store->Cancel(job.id);
  ASSERT_TRUE(cancel.ok()) << cancel.status();
  EXPECT_EQ(cancel->outcome, CancelOutcome::kCancelled);
  EXPECT_EQ(cancel->job.status, JobStatus::kCancelled);
  EXPECT_EQ(cancel->job.finished, clock_.Now());
  EXPECT_TRUE(NothingToClaim(*store));
  EXPECT_EQ(store->Cancel(job.id)->outcome, CancelOutcome::kAlreadyFinal);
  EXPECT_TRUE(absl::IsNotFound(store->Cancel(NewJobId()).status()));
}

TEST_P(JobStoreContractTest, CancelRunningJobIsRecordedAndDecidedAtFinish) {
  auto store = OpenStore();
  Job a = SubmitOk(*store, Spec());
  clock_.Advance(absl::Milliseconds(1));
  Job b = SubmitOk(*store, Spec());
  ClaimOk(*store);
  ClaimOk(*store);

  absl::StatusOr<CancelResult> cancel = store->Cancel(a.id);
  ASSERT_TRUE(cancel.ok());
  EXPECT_EQ(cancel->outcome, CancelOutcome::kCancelRequested);
  EXPECT_TRUE(cancel->job.cancel_requested);
  EXPECT_EQ(cancel->job.status, JobStatus::kRunning);
  // A job that finishes anyway keeps its result.
  EXPECT_EQ(store->Complete(a.id, 1, BinaryResult())->status,
            JobStatus::kSucceeded);

  ASSERT_TRUE(store->Cancel(b.id).ok());
  // A failure of a cancelled job is not retried.
  absl::StatusOr<Job> failed = store->Fail(b.id, 1, "oops", true);
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, JobStatus::kCancelled);
}

TEST_P(JobStoreContractTest, ExecutorAcknowledgedCancelEndsCancelled) {
  auto store = OpenStore();
  Job job = SubmitOk(*store, Spec());
  ClaimOk(*store);
  ASSERT_TRUE(store->Cancel(job.id).ok());
  absl::StatusOr<Job> done = store->Finish(job.id, 1, JobOutcome::Cancelled());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, JobStatus::kCancelled);
}

TEST_P(JobStoreContractTest, RecoverAfterCrashRequeuesRunningJobs) {
  std::string running1, running2, queued;
  {
    auto store = OpenStore();
    JobSpec once = Spec();
    once.max_attempts = 1;
    running1 = SubmitOk(*store, once).id;
    clock_.Advance(absl::Milliseconds(1));
    running2 = SubmitOk(*store, Spec()).id;
    clock_.Advance(absl::Milliseconds(1));
    queued = SubmitOk(*store, Spec()).id;
    ClaimOk(*store);
    ClaimOk(*store);
  }  // the process "dies" with two jobs running
  auto store = OpenStore();
  EXPECT_EQ(store->Counts()->by_status[static_cast<int>(JobStatus::kRunning)],
            2);
  absl::StatusOr<int> recovered = store->RecoverAfterCrash();
  ASSERT_TRUE(recovered.ok());
  EXPECT_EQ(*recovered, 2);

  absl::StatusOr<Job> job = store->Get(running1);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->status, JobStatus::kQueued);
  ASSERT_EQ(job->attempts.size(), 1u);
  EXPECT_TRUE(job->attempts[0].interrupted);
  EXPECT_THAT(job->attempts[0].error, HasSubstr("server stopped"));

  std::set<std::string> claimed;
  for (int i = 0; i < 3; ++i) claimed.insert(ClaimOk(*store).id);
  EXPECT_EQ(claimed, (std::set<std::string>{running1, running2, queued}));

  // The interrupted attempt does not use up the single allowed attempt...
  absl::StatusOr<Job> done = store->Fail(running1, 2, "real failure", true);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, JobStatus::kFailed);  // ...the real failure does.
  // A finish for the attempt that was interrupted is stale.
  EXPECT_EQ(store->Complete(running2, 1, BinaryResult()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(JobStoreContractTest, ExpiredLeasesAreRequeuedAndRenewalKeepsThem) {
  auto store = OpenStore();  // lease 10 min
  Job a = SubmitOk(*store, Spec());
  clock_.Advance(absl::Milliseconds(1));
  Job b = SubmitOk(*store, Spec());
  ClaimOk(*store);
  ClaimOk(*store);
  clock_.Advance(absl::Minutes(9));
  ASSERT_TRUE(store->RenewLease(b.id, 1).ok());
  EXPECT_EQ(store->RenewLease(b.id, 2).code(),
            absl::StatusCode::kFailedPrecondition);
  clock_.Advance(absl::Minutes(2));
  absl::StatusOr<int> requeued = store->RequeueExpiredLeases();
  ASSERT_TRUE(requeued.ok());
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(store->Get(a.id)->status, JobStatus::kQueued);
  EXPECT_EQ(store->Get(b.id)->status, JobStatus::kRunning);
}

TEST_P(JobStoreContractTest, PurgeDeletesOnlyFinalJobsPastTheTtl) {
  auto store = OpenStore();  // result TTL 1 h
  Job old_done = SubmitOk(*store, Spec("a"));
  ClaimOk(*store);
  ASSERT_TRUE(store->Complete(old_done.id, 1, BinaryResult()).ok());
  Job old_queued = SubmitOk(*store, Spec("a"));
  clock_.Advance(absl::Minutes(30));
  Job recent_cancelled = SubmitOk(*store, Spec("b"));
  ASSERT_TRUE(store->Cancel(recent_cancelled.id).ok());

  clock_.Advance(absl::Minutes(31));  // old_done is 61 min past finishing
  absl::StatusOr<int> purged = store->PurgeExpired();
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(*purged, 1);
  EXPECT_TRUE(absl::IsNotFound(store->Get(old_done.id).status()));
  EXPECT_TRUE(store->Get(old_queued.id).ok());
  EXPECT_TRUE(store->Get(recent_cancelled.id).ok());

  absl::StatusOr<JobCounts> counts = store->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->by_status[static_cast<int>(JobStatus::kSucceeded)], 0);
  EXPECT_EQ(counts->by_status[static_cast<int>(JobStatus::kQueued)], 1);
  EXPECT_EQ(counts->by_status[static_cast<int>(JobStatus::kCancelled)], 1);

  clock_.Advance(absl::Minutes(30));
  EXPECT_EQ(*store->PurgeExpired(), 1);
  EXPECT_EQ(*store->PurgeExpired(), 0);
}

TEST_P(JobStoreContractTest, PurgeWorksThroughMoreThanOneBatch) {
  auto store = OpenStore();
  for (int i = 0; i < 1205; ++i) {
    Job job = SubmitOk(*store, Spec());
    ASSERT_TRUE(store->Cancel(job.id).ok());
  }
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(*store->PurgeExpired(), 1205);
  EXPECT_TRUE(store->Counts()->by_model_status.empty());
}

TEST_P(JobStoreContractTest, CountsByModelAndStatus) {
  auto store = OpenStore();
  SubmitOk(*store, Spec("a"));
  clock_.Advance(absl::Seconds(1));
  SubmitOk(*store, Spec("a"));
  SubmitOk(*store, Spec("b"));
  Job running = ClaimOk(*store);  // the oldest: model a
  absl::StatusOr<JobCounts> counts = store->Counts();
  ASSERT_TRUE(counts.ok());
  using Key = std::pair<std::string, JobStatus>;
  EXPECT_EQ(counts->by_model_status.at(Key{"a", JobStatus::kQueued}), 1);
  EXPECT_EQ(counts->by_model_status.at(Key{"a", JobStatus::kRunning}), 1);
  EXPECT_EQ(counts->by_model_status.at(Key{"b", JobStatus::kQueued}), 1);
  EXPECT_EQ(counts->by_status[static_cast<int>(JobStatus::kQueued)], 2);
  EXPECT_EQ(counts->oldest_queued, clock_.Now());
  EXPECT_EQ(running.request.model, "a");
}

TEST_P(JobStoreContractTest, ListFiltersAndPaginatesNewestFirst) {
  auto store = OpenStore();
  std::vector<std::string> ids;  // creation order
  for (int i = 0; i < 7; ++i) {
    ids.push_back(SubmitOk(*store, Spec(i % 2 == 0 ? "even" : "odd")).id);
    if (i != 3) clock_.Advance(absl::Seconds(1));  // 3 and 4 share a time
  }
  ASSERT_TRUE(store->Cancel(ids[0]).ok());

  std::vector<std::string> listed;
  ListQuery query;
  query.limit = 3;
  int pages = 0;
  do {
    absl::StatusOr<ListPage> page = store->List(query);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const Job& job : page->jobs) {
      listed.push_back(job.id);
      EXPECT_TRUE(job.request.input.body.empty());  // no bodies by default
    }
    query.cursor = page->next_cursor;
    ++pages;
  } while (!query.cursor.empty());
  EXPECT_EQ(pages, 3);
  std::vector<std::string> newest_first(ids.rbegin(), ids.rend());
  // Jobs 3 and 4 were created at the same instant: ordered by id then.
  ASSERT_EQ(listed.size(), 7u);
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            std::set<std::string>(ids.begin(), ids.end()));
  for (size_t i = 0; i < listed.size(); ++i) {
    if (i == 2 || i == 3) continue;
    EXPECT_EQ(listed[i], newest_first[i]) << i;
  }

  ListQuery by_model;
  by_model.model = "odd";
  absl::StatusOr<ListPage> odd = store->List(by_model);
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->jobs.size(), 3u);
  for (const Job& job : odd->jobs) EXPECT_EQ(job.request.model, "odd");

  ListQuery by_status;
  by_status.status = JobStatus::kCancelled;
  by_status.include_bodies = true;
  absl::StatusOr<ListPage> cancelled = store->List(by_status);
  ASSERT_TRUE(cancelled.ok());
  ASSERT_EQ(cancelled->jobs.size(), 1u);
  EXPECT_EQ(cancelled->jobs[0].id, ids[0]);
  EXPECT_EQ(cancelled->jobs[0].request.input.body, Spec().request.input.body);
  EXPECT_TRUE(cancelled->next_cursor.empty());
}

TEST_P(JobStoreContractTest, ListRejectsBadLimitAndCursor) {
  auto store = OpenStore();
  ListQuery query;
  query.limit = 0;
  EXPECT_EQ(store->List(query).status().code(),
            absl::StatusCode::kInvalidArgument);
  query.limit = 10;
  query.cursor = "not-a-cursor";
  EXPECT_EQ(store->List(query).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(JobStoreContractTest, PublishesEachStateChangeAfterCommit) {
  auto store = OpenStore();
  JobEventQueue all(&hub_, "", &clock_);
  Job job = SubmitOk(*store, Spec());
  JobEventQueue one(&hub_, job.id, &clock_);
  ClaimOk(*store);
  ASSERT_TRUE(store->Complete(job.id, 1, BinaryResult()).ok());

  std::optional<JobEvent> e = all.Next(absl::ZeroDuration());
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->status, JobStatus::kQueued);
  EXPECT_EQ(e->revision, 1);
  for (JobEventQueue* q : {&all, &one}) {
    std::optional<JobEvent> running = q->Next(absl::ZeroDuration());
    ASSERT_TRUE(running.has_value());
    EXPECT_EQ(running->status, JobStatus::kRunning);
    EXPECT_EQ(running->revision, 2);
    std::optional<JobEvent> done = q->Next(absl::ZeroDuration());
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->status, JobStatus::kSucceeded);
    EXPECT_EQ(done->revision, 3);
    ASSERT_NE(done->job, nullptr);
    EXPECT_TRUE(done->job->request.input.body.empty());
    EXPECT_EQ(done->job->result->body, BinaryResult().body);
    EXPECT_FALSE(q->Next(absl::ZeroDuration()).has_value());
  }
}

TEST_P(JobStoreContractTest, WebhookBecomesDueWhenTheJobIsFinal) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.webhook_url = "http://127.0.0.1:9/hook";
  Job job = SubmitOk(*store, spec);
  EXPECT_TRUE(store->DueWebhooks(10)->empty());
  ClaimOk(*store);
  ASSERT_TRUE(store->Complete(job.id, 1, BinaryResult()).ok());
  absl::StatusOr<std::vector<Job>> due = store->DueWebhooks(10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].webhook.status, WebhookStatus::kPending);

  ASSERT_TRUE(store
                  ->RecordWebhookAttempt(job.id,
                                         absl::UnavailableError("refused"),
                                         clock_.Now() + absl::Seconds(5))
                  .ok());
  EXPECT_TRUE(store->DueWebhooks(10)->empty());
  clock_.Advance(absl::Seconds(5));
  ASSERT_EQ(store->DueWebhooks(10)->size(), 1u);
  ASSERT_TRUE(store
                  ->RecordWebhookAttempt(job.id, absl::OkStatus(),
                                         absl::InfiniteFuture())
                  .ok());
  absl::StatusOr<Job> got = store->Get(job.id);
  EXPECT_EQ(got->webhook.status, WebhookStatus::kDelivered);
  EXPECT_EQ(got->webhook.attempts, 2);
  EXPECT_TRUE(store->DueWebhooks(10)->empty());
}

TEST_P(JobStoreContractTest, ConcurrentSubmittersAreAllDurableAndDistinct) {
  auto store = OpenStore();
  constexpr int kThreads = 4;
  constexpr int kEach = 150;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::StatusOr<SubmitResult> r = store->Submit(Spec());
        if (r.ok()) ids[t].push_back(r->job.id);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  store.reset();
  store = OpenStore();
  EXPECT_EQ(store->Counts()->by_status[static_cast<int>(JobStatus::kQueued)],
            kThreads * kEach);
}

TEST_P(JobStoreContractTest, IdempotencyKeyReturnsTheSameJobForTheSameRequest) {
  auto store = OpenStore();
  JobSpec spec = Spec();
  spec.idempotency_key = "order-7";
  Job first = SubmitOk(*store, spec);
  absl::StatusOr<SubmitResult> again = store->Submit(spec);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->job.id, first.id);

  JobSpec other = spec;
  other.request.input.body = R"({"inputs":[1]})";
  absl::StatusOr<SubmitResult> different = store->Submit(other);
  EXPECT_EQ(different.status().code(), absl::StatusCode::kAlreadyExists);

  JobSpec stranger = spec;
  stranger.owner = "another-key";
  absl::StatusOr<SubmitResult> taken = store->Submit(stranger);
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(taken.status().message()), HasSubstr("another API key"));
  EXPECT_THAT(std::string(taken.status().message()), ::testing::Not(HasSubstr(first.id)));
  EXPECT_EQ(store->Counts()->by_status[static_cast<int>(JobStatus::kQueued)], 1);
}

TEST_P(JobStoreContractTest, ListFiltersByOwner) {
  auto store = OpenStore();
  JobSpec mine = Spec();
  mine.owner = "alice";
  Job a = SubmitOk(*store, mine);
  SubmitOk(*store, Spec());
  ListQuery query;
  query.owner = "alice";
  absl::StatusOr<ListPage> page = store->List(query);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->jobs.size(), 1u);
  EXPECT_EQ(page->jobs[0].id, a.id);
  EXPECT_EQ(page->jobs[0].owner, "alice");
}

TEST_P(JobStoreContractTest, UnknownJobsAreNotFound) {
  auto store = OpenStore();
  EXPECT_TRUE(absl::IsNotFound(store->Get(NewJobId()).status()));
  EXPECT_TRUE(absl::IsNotFound(store->Get("not a job id").status()));
  EXPECT_TRUE(absl::IsNotFound(store->Finish(NewJobId(), 1, JobOutcome::Cancelled()).status()));
  EXPECT_TRUE(absl::IsNotFound(store->RenewLease(NewJobId(), 1)));
}

TEST_P(JobStoreContractTest, GetAsyncAnswersAsGetDoes) {
  auto store = OpenStore();
  auto get_async = [&](std::string_view id) {
    absl::Notification done;
    absl::StatusOr<Job> got;
    store->GetAsync(id, [&](absl::StatusOr<Job> job) {
      got = std::move(job);
      done.Notify();
    });
    done.WaitForNotification();
    return got;
  };
  Job job = SubmitOk(*store, Spec());
  absl::StatusOr<Job> got = get_async(job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, JobStatus::kQueued);
  EXPECT_EQ(got->revision, 1);
  EXPECT_EQ(got->request.input.body, Spec().request.input.body);

  ClaimOk(*store);
  ASSERT_TRUE(store->Complete(job.id, 1, BinaryResult()).ok());
  got = get_async(job.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->status, JobStatus::kSucceeded);
  EXPECT_EQ(got->result->body, BinaryResult().body);
  EXPECT_EQ(got->revision, store->Get(job.id)->revision);

  EXPECT_TRUE(absl::IsNotFound(get_async(NewJobId()).status()));
  EXPECT_TRUE(absl::IsNotFound(get_async("not a job id").status()));
}

TEST_P(JobStoreContractTest, FinishAfterARenewalAndARaceKeepsEveryChange) {
  auto store = OpenStore();
  Job job = SubmitOk(*store, Spec());
  ClaimOk(*store);
  ASSERT_TRUE(store->RenewLease(job.id, 1).ok());
  // A change made after the claim (a cancel request, here) is not lost by
  // the finish that follows, however the store commits it.
  ASSERT_TRUE(store->Cancel(job.id).ok());
  absl::StatusOr<Job> failed = store->Fail(job.id, 1, "oops", /*retryable=*/true);
  ASSERT_TRUE(failed.ok()) << failed.status();
  EXPECT_EQ(failed->status, JobStatus::kCancelled);
  EXPECT_TRUE(failed->cancel_requested);
  // A stale attempt number is refused even right after a claim.
  Job next = SubmitOk(*store, Spec());
  ClaimOk(*store);
  EXPECT_TRUE(absl::IsFailedPrecondition(store->Complete(next.id, 2, BinaryResult()).status()));
  EXPECT_EQ(store->Complete(next.id, 1, BinaryResult())->status, JobStatus::kSucceeded);
}

INSTANTIATE_TEST_SUITE_P(Stores, JobStoreContractTest,
                         ::testing::Values(StoreKind::kSqlite, StoreKind::kRedis),
                         [](const ::testing::TestParamInfo<StoreKind>& info) {
                           return info.param == StoreKind::kSqlite ? "Sqlite" : "Redis";
                         });

}  // namespace
}  // namespace inferd::jobs
