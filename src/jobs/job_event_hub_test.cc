#include "jobs/job_event_hub.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::jobs {
namespace {

JobEvent Event(std::string id, JobStatus status, int64_t revision) {
  return JobEvent{std::move(id), status, revision, nullptr};
}

TEST(JobEventHubTest, DeliversOnlyToSubscribersOfThatJobAndToAll) {
  JobEventHub hub;
  std::vector<int64_t> a_seen, all_seen;
  auto a = hub.Subscribe("a", [&](const JobEvent& e) { a_seen.push_back(e.revision); });
  auto all = hub.SubscribeAll([&](const JobEvent& e) { all_seen.push_back(e.revision); });
  hub.Publish(Event("a", JobStatus::kRunning, 1));
  hub.Publish(Event("b", JobStatus::kRunning, 2));
  EXPECT_EQ(a_seen, (std::vector<int64_t>{1}));
  EXPECT_EQ(all_seen, (std::vector<int64_t>{1, 2}));
}

TEST(JobEventHubTest, NothingArrivesAfterCancel) {
  JobEventHub hub;
  int seen = 0;
  auto sub = hub.Subscribe("a", [&](const JobEvent&) { ++seen; });
  EXPECT_TRUE(hub.HasSubscribers("a"));
  hub.Publish(Event("a", JobStatus::kQueued, 1));
  sub.Cancel();
  EXPECT_FALSE(sub.active());
  EXPECT_FALSE(hub.HasSubscribers("a"));
  hub.Publish(Event("a", JobStatus::kRunning, 2));
  EXPECT_EQ(seen, 1);
  {
    auto scoped = hub.Subscribe("a", [&](const JobEvent&) { ++seen; });
  }  // destroyed: unsubscribed
  hub.Publish(Event("a", JobStatus::kSucceeded, 3));
  EXPECT_EQ(seen, 1);
}

TEST(JobEventHubTest, MovedSubscriptionStaysSubscribedOnce) {
  JobEventHub hub;
  int seen = 0;
  JobEventHub::Subscription outer;
  {
    auto inner = hub.Subscribe("a", [&](const JobEvent&) { ++seen; });
    outer = std::move(inner);
  }
  hub.Publish(Event("a", JobStatus::kQueued, 1));
  EXPECT_EQ(seen, 1);
}

TEST(JobEventHubTest, QueueReturnsEventsInOrderAndTimesOutOnTheClock) {
  JobEventHub hub;
  FakeClock clock;
  JobEventQueue queue(&hub, "a", &clock);
  hub.Publish(Event("a", JobStatus::kQueued, 1));
  hub.Publish(Event("a", JobStatus::kRunning, 2));
  EXPECT_EQ(queue.Next(absl::ZeroDuration())->revision, 1);
  EXPECT_EQ(queue.Next(absl::ZeroDuration())->revision, 2);
  // Empty: returns at a deadline that has already passed on the fake clock.
  EXPECT_FALSE(queue.Next(clock.Now()).has_value());

  // A waiter blocked until a later deadline is released by a publish.
  std::optional<JobEvent> got;
  std::thread waiter([&] { got = queue.Next(absl::Hours(1)); });
  hub.Publish(Event("a", JobStatus::kSucceeded, 3));
  waiter.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->status, JobStatus::kSucceeded);
}

TEST(JobEventHubTest, QueueWaiterWakesWhenFakeTimePassesItsDeadline) {
  JobEventHub hub;
  FakeClock clock;
  JobEventQueue queue(&hub, "a", &clock);
  std::atomic<bool> returned{false};
  const absl::Time deadline = clock.Now() + absl::Seconds(30);
  std::thread waiter([&] {
    EXPECT_FALSE(queue.Next(deadline).has_value());
    returned = true;
  });
  clock.Advance(absl::Seconds(31));
  waiter.join();
  EXPECT_TRUE(returned.load());
}

TEST(JobEventHubTest, ConcurrentPublishAndUnsubscribeIsSafe) {
  JobEventHub hub;
  std::atomic<bool> stop{false};
  std::atomic<int> delivered{0};
  std::thread publisher([&] {
    for (int i = 0; !stop.load(); ++i) hub.Publish(Event("a", JobStatus::kRunning, i));
  });
  for (int i = 0; i < 200; ++i) {
    auto sub = hub.Subscribe("a", [&](const JobEvent&) { ++delivered; });
  }
  stop = true;
  publisher.join();
  int after = delivered.load();
  hub.Publish(Event("a", JobStatus::kRunning, -1));
  EXPECT_EQ(delivered.load(), after);  // nobody is subscribed any more
}

}  // namespace
}  // namespace inferd::jobs
