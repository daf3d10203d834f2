// What only the Redis store does (the shared behaviour is in
// job_store_contract_test.cc): several stores on one Redis are replicas of
// one queue; changes made on one reach the others' event hubs; a claim whose
// claimer died before recording it is taken back; Redis going away is
// Unavailable, not a crash.

#include "jobs/redis_job_store.h"

#include <set>
#include <string>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "jobs/job_event_hub.h"
#include "redis/testing/redis_test_server.h"

namespace inferd::jobs {
namespace {

class RedisJobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.ok()) GTEST_SKIP() << server_.error();
  }

  std::unique_ptr<RedisJobStore> Replica(std::string name, JobEventHub* hub = nullptr,
                                         bool subscribe = false,
                                         absl::Duration lease = absl::Minutes(10),
                                         Clock* clock = nullptr) {
    RedisJobStore::Options options;
    options.client = server_.client();
    options.replica = std::move(name);
    options.events = hub;
    options.subscribe = subscribe;
    options.lease = lease;
    options.clock = clock != nullptr ? clock : &clock_;
    auto store = RedisJobStore::Open(std::move(options));
    EXPECT_TRUE(store.ok()) << store.status();
    return std::move(store).value();
  }

  static JobSpec Spec() {
    JobSpec spec;
    spec.request.model = "simple";
    spec.request.route = "infer";
    spec.request.input.body = R"({"inputs":[]})";
    return spec;
  }

  redis::testing::RedisTestServer server_;
  FakeClock clock_;
};

TEST_F(RedisJobStoreTest, ReplicasShareOneQueueAndEachJobRunsOnce) {
  auto a = Replica("a");
  auto b = Replica("b");
  std::set<std::string> submitted;
  for (int i = 0; i < 20; ++i) submitted.insert(a->Submit(Spec())->job.id);
  std::set<std::string> claimed;
  for (int i = 0; i < 20; ++i) {
    RedisJobStore& store = i % 2 == 0 ? *a : *b;
    absl::StatusOr<std::optional<Job>> job = store.ClaimNext(i % 2 == 0 ? "a-0" : "b-0");
    ASSERT_TRUE(job.ok() && job->has_value()) << i;
    EXPECT_TRUE(claimed.insert((*job)->id).second) << "claimed twice: " << (*job)->id;
    ASSERT_TRUE(store.Complete((*job)->id, 1, JobPayload{200, "text/plain", {}, "ok"}).ok());
  }
  EXPECT_EQ(claimed, submitted);
  EXPECT_FALSE(b->ClaimNext("b-0")->has_value());
  // Every result is readable on every replica.
  for (const std::string& id : submitted) {
    EXPECT_EQ(a->Get(id)->status, JobStatus::kSucceeded);
    EXPECT_EQ(b->Get(id)->result->body, "ok");
  }
  EXPECT_EQ(b->Counts()->by_status[static_cast<int>(JobStatus::kSucceeded)], 20);
}

TEST_F(RedisJobStoreTest, AWorkerFinishesItsClaimInOneRoundTrip) {
  auto a = Replica("a");
  auto b = Replica("b");
  std::string id = a->Submit(Spec())->job.id;
  ASSERT_TRUE(a->ClaimNext("a-0")->has_value());
  const uint64_t before = server_.client()->stats().round_trips;
  absl::StatusOr<Job> done = a->Complete(id, 1, JobPayload{200, "text/plain", {}, "ok"});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(server_.client()->stats().round_trips - before, 1u);  // no read first
  EXPECT_EQ(done->status, JobStatus::kSucceeded);
  EXPECT_EQ(b->Get(id)->revision, done->revision);

  // Changed on another replica since the claim: the commit misses, the job
  // is read again, and the change is kept.
  id = a->Submit(Spec())->job.id;
  ASSERT_TRUE(a->ClaimNext("a-0")->has_value());
  ASSERT_TRUE(b->Cancel(id).ok());
  done = a->Complete(id, 1, JobPayload{200, "text/plain", {}, "ok"});
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->cancel_requested);
  EXPECT_EQ(b->Get(id)->status, JobStatus::kSucceeded);
}

TEST_F(RedisJobStoreTest, AStoppedReplicasJobsGoToAnotherAfterTheLease) {
  std::string id;
  {
    auto dying = Replica("dying");
    id = dying->Submit(Spec())->job.id;
    ASSERT_TRUE(dying->ClaimNext("dying-0")->has_value());
  }  // the replica is gone with its job running
  auto survivor = Replica("survivor");
  EXPECT_EQ(*survivor->RecoverAfterCrash(), 0);  // not its job
  EXPECT_EQ(*survivor->RequeueExpiredLeases(), 0);  // lease not over
  clock_.Advance(absl::Minutes(11));
  EXPECT_EQ(*survivor->RequeueExpiredLeases(), 1);
  absl::StatusOr<std::optional<Job>> again = survivor->ClaimNext("survivor-0");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->attempt_count(), 2);
  EXPECT_TRUE((*again)->attempts[0].interrupted);
  // The dead replica's late answer for its attempt is refused.
  auto zombie = Replica("dying");
  EXPECT_TRUE(absl::IsFailedPrecondition(
      zombie->Complete(id, 1, JobPayload{200, "", {}, "late"}).status()));
}

TEST_F(RedisJobStoreTest, AClaimLostBeforeItWasRecordedIsTakenBackByXautoclaim) {
  // A consumer read the stream entry and died before recording the claim:
  // the job is still queued but its entry is pending on the dead consumer.
  auto store = Replica("r", nullptr, false, /*lease=*/absl::Milliseconds(1),
                       RealClock::Get());
  ASSERT_FALSE(store->ClaimNext("r-0")->has_value());  // creates the consumer group
  std::string id = store->Submit(Spec())->job.id;
  absl::StatusOr<redis::Reply> stolen = server_.client()->Command(
      {"XREADGROUP", "GROUP", "workers", "ghost", "COUNT", "1", "STREAMS", "inferd:q:1", ">"});
  ASSERT_TRUE(stolen.ok()) << stolen.status();
  ASSERT_TRUE(stolen->is_array()) << "the ghost read nothing";
  EXPECT_FALSE(store->ClaimNext("r-0")->has_value());  // its entry is the ghost's now
  // XAUTOCLAIM takes the entry back once it idled past the lease.
  std::optional<Job> claimed;
  for (int i = 0; i < 200 && !claimed.has_value(); ++i) {
    ASSERT_TRUE(store->RequeueExpiredLeases().ok());
    absl::StatusOr<std::optional<Job>> next = store->ClaimNext("r-0");
    ASSERT_TRUE(next.ok()) << next.status();
    if (next->has_value()) claimed = **next;
    absl::SleepFor(absl::Milliseconds(5));  // let the entry idle past the lease
  }
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, id);
  EXPECT_EQ(claimed->attempt_count(), 1);
  EXPECT_GE(store->autoclaimed(), 1u);
}

TEST_F(RedisJobStoreTest, ChangesOnOneReplicaReachTheOthersSubscribers) {
  JobEventHub hub_a, hub_b;
  auto a = Replica("a", &hub_a, /*subscribe=*/true);
  auto b = Replica("b", &hub_b, /*subscribe=*/true);
  JobEventQueue wakeups(&hub_b, "", RealClock::Get());
  // Submit until b's subscription is live (it connects on its own thread).
  std::optional<JobEvent> wake;
  std::string id;
  for (int i = 0; i < 100 && !wake.has_value(); ++i) {
    id = a->Submit(Spec())->job.id;
    wake = wakeups.Next(absl::Milliseconds(100));
  }
  ASSERT_TRUE(wake.has_value());
  EXPECT_EQ(wake->status, JobStatus::kQueued);
  // A subscriber of one job on b gets its document when a changes it.
  JobEventQueue one(&hub_b, id, RealClock::Get());
  ASSERT_TRUE(a->Cancel(id).ok());
  std::optional<JobEvent> cancelled = one.Next(absl::Seconds(10));
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ(cancelled->status, JobStatus::kCancelled);
  ASSERT_NE(cancelled->job, nullptr);
  EXPECT_EQ(cancelled->job->id, id);
}

TEST(RedisJobStoreDownTest, RedisUnreachableIsUnavailable) {
  redis::RedisClient::Options client_options;
  client_options.url.host = "127.0.0.1";
  client_options.url.port = 1;
  auto client = *redis::RedisClient::Create(client_options);
  RedisJobStore::Options options;
  options.client = client.get();
  options.subscribe = false;
  auto store = *RedisJobStore::Open(std::move(options));
  JobSpec spec;
  spec.request.model = "m";
  spec.request.route = "infer";
  EXPECT_TRUE(absl::IsUnavailable(store->Submit(spec).status()));
  EXPECT_TRUE(absl::IsUnavailable(store->ClaimNext("w").status()));
  EXPECT_TRUE(absl::IsUnavailable(store->Get(NewJobId()).status()));
  EXPECT_TRUE(absl::IsUnavailable(store->Counts().status()));
}

TEST(RedisJobStoreOptionsTest, BadOptionsAreRefused) {
  RedisJobStore::Options options;
  EXPECT_TRUE(absl::IsInvalidArgument(RedisJobStore::Open(options).status()));  // no client
  redis::RedisClient::Options client_options;
  client_options.url.host = "127.0.0.1";
  auto client = *redis::RedisClient::Create(client_options);
  options.client = client.get();
  options.lease = absl::ZeroDuration();
  EXPECT_TRUE(absl::IsInvalidArgument(RedisJobStore::Open(options).status()));
  options.lease = absl::Seconds(1);
  options.max_attempts = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(RedisJobStore::Open(options).status()));
}

}  // namespace
}  // namespace inferd::jobs
