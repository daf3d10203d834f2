#include "api/keep_alive.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class KeepAliveTest : public ::testing::Test {
 protected:
  KeepAliveTest()
      : keeper_({.clock = &clock_, .default_duration = absl::Minutes(5),
                 .unload = [this](const std::string& name) {
                   absl::MutexLock lock(&mu_);
                   unloaded_.push_back(name);
                 }}) {}

  std::vector<std::string> Unloaded() {
    absl::MutexLock lock(&mu_);
    return unloaded_;
  }

  FakeClock clock_;
  absl::Mutex mu_;
  std::vector<std::string> unloaded_ ABSL_GUARDED_BY(mu_);
  KeepAlive keeper_;
};

TEST_F(KeepAliveTest, AModelLoadedOnDemandUnloadsAfterTheDefaultIdleTime) {
  keeper_.Loaded("m");
  EXPECT_EQ(keeper_.ExpiresAt("m"), clock_.Now() + absl::Minutes(5));
  clock_.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("m"));
  EXPECT_THAT(Unloaded(), ElementsAre("m"));
  // Unloaded: no longer timed, and not unloaded twice.
  EXPECT_EQ(keeper_.ExpiresAt("m"), absl::InfiniteFuture());
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
}

TEST_F(KeepAliveTest, NoTimerRunsWhileARequestHoldsTheModel) {
  keeper_.Loaded("m");
  std::shared_ptr<KeepAlive::Lease> lease = keeper_.Hold("m", std::nullopt);
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  EXPECT_EQ(keeper_.ExpiresAt("m"), clock_.Now() + absl::Minutes(5));
  lease.reset();  // the idle time counts from here
  clock_.Advance(absl::Minutes(4));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("m"));
}

TEST_F(KeepAliveTest, TheTimerStartsWhenTheLastRequestEnds) {
  keeper_.Loaded("m");
  auto first = keeper_.Hold("m", std::nullopt);
  auto second = keeper_.Hold("m", std::nullopt);
  first.reset();
  clock_.Advance(absl::Minutes(10));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  second.reset();
  EXPECT_EQ(keeper_.ExpiresAt("m"), clock_.Now() + absl::Minutes(5));
}

TEST_F(KeepAliveTest, ARequestsKeepAliveReplacesTheDefault) {
  keeper_.Loaded("m");
  keeper_.Hold("m", absl::Seconds(30)).reset();
  EXPECT_EQ(keeper_.ExpiresAt("m"), clock_.Now() + absl::Seconds(30));
  clock_.Advance(absl::Seconds(30));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("m"));
}

TEST_F(KeepAliveTest, AModelTheKeeperDidNotLoadStaysLoadedWithoutAKeepAlive) {
  keeper_.Hold("startup", std::nullopt).reset();
  EXPECT_EQ(keeper_.ExpiresAt("startup"), absl::InfiniteFuture());
  clock_.Advance(absl::Hours(24 * 365));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
}

TEST_F(KeepAliveTest, AnExplicitKeepAliveTimesAnyModel) {
  keeper_.Hold("startup", absl::Seconds(10)).reset();
  clock_.Advance(absl::Seconds(9));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("startup"));
}

TEST_F(KeepAliveTest, AnInfiniteKeepAliveHoldsUntilARequestAsksForLess) {
  keeper_.Loaded("m");
  keeper_.Hold("m", absl::InfiniteDuration()).reset();
  EXPECT_EQ(keeper_.ExpiresAt("m"), absl::InfiniteFuture());
  clock_.Advance(absl::Hours(24 * 100));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  // A later request without a keep_alive keeps the last one asked.
  keeper_.Hold("m", std::nullopt).reset();
  clock_.Advance(absl::Hours(24 * 100));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  keeper_.Hold("m", absl::Minutes(1)).reset();
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("m"));
}

TEST_F(KeepAliveTest, ZeroUnloadsAsSoonAsTheRequestsEnd) {
  auto lease = keeper_.Hold("m", absl::ZeroDuration());
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());  // still in use
  lease.reset();
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("m"));
}

TEST_F(KeepAliveTest, ForgetStopsTimingAndOldLeasesDoNotCountAgainstNewOnes) {
  keeper_.Loaded("m");
  auto old_lease = keeper_.Hold("m", std::nullopt);
  keeper_.Forget("m");  // unloaded by a request
  EXPECT_EQ(keeper_.ExpiresAt("m"), absl::InfiniteFuture());
  auto new_lease = keeper_.Hold("m", absl::Minutes(1));
  old_lease.reset();  // must not end the new request's hold
  clock_.Advance(absl::Hours(1));
  EXPECT_THAT(keeper_.UnloadExpired(), IsEmpty());
  EXPECT_EQ(keeper_.ExpiresAt("m"), clock_.Now() + absl::Minutes(1));
  new_lease.reset();
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("m"));
}

TEST_F(KeepAliveTest, ModelsAreTimedApart) {
  keeper_.Loaded("a");
  clock_.Advance(absl::Minutes(2));
  keeper_.Loaded("b");
  clock_.Advance(absl::Minutes(3));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("a"));
  EXPECT_EQ(keeper_.ExpiresAt("b"), clock_.Now() + absl::Minutes(2));
  clock_.Advance(absl::Minutes(2));
  EXPECT_THAT(keeper_.UnloadExpired(), ElementsAre("b"));
  // Loaded again on demand: timed afresh.
  keeper_.Loaded("a");
  EXPECT_EQ(keeper_.ExpiresAt("a"), clock_.Now() + absl::Minutes(5));
}

TEST_F(KeepAliveTest, ItsThreadUnloadsWhenTheTimePasses) {
  absl::Notification unloaded;
  KeepAlive keeper({.clock = &clock_,
                    .unload = [&unloaded](const std::string& name) {
                      EXPECT_EQ(name, "m");
                      unloaded.Notify();
                    }});
  keeper.Start();
  keeper.Loaded("m");
  clock_.Advance(absl::Minutes(5));
  // A hang guard, not a timing assertion: the thread wakes on the clock.
  EXPECT_TRUE(unloaded.WaitForNotificationWithTimeout(absl::Seconds(20)));
}

TEST_F(KeepAliveTest, DestroyingTheKeeperDropsPendingTimers) {
  int unloads = 0;
  {
    KeepAlive keeper({.clock = &clock_, .unload = [&unloads](const std::string&) { ++unloads; }});
    keeper.Start();
    keeper.Loaded("m");
  }
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(unloads, 0);
}

}  // namespace
}  // namespace inferd
