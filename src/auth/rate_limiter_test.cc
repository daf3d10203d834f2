#include "auth/rate_limiter.h"

#include "common/clock.h"
#include "gtest/gtest.h"

namespace inferd::auth {
namespace {

using Limit = RateDecision::Limit;

class RateLimiterTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  RateLimiter limiter_{{.clock = &clock_}};
};

TEST_F(RateLimiterTest, UnlimitedClientIsAlwaysAdmittedWithoutQuota) {
  for (int i = 0; i < 100; ++i) {
    RateDecision decision = limiter_.Admit("alice", RateLimits{});
    ASSERT_TRUE(decision.admitted());
    EXPECT_FALSE(decision.has_quota);
  }
}

TEST_F(RateLimiterTest, BurstIsAdmittedThenRefusedUntilTheBucketRefills) {
  const RateLimits limits{.requests_per_second = 2, .burst = 3};
  for (int i = 0; i < 3; ++i) {
    RateDecision decision = limiter_.Admit("alice", limits);
    ASSERT_TRUE(decision.admitted()) << i;
    EXPECT_EQ(decision.quota_limit, 3);
    EXPECT_EQ(decision.quota_remaining, 2 - i);
  }
  RateDecision refused = limiter_.Admit("alice", limits);
  EXPECT_EQ(refused.rejected_by, Limit::kRequests);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(500));
  EXPECT_EQ(refused.quota_remaining, 0);
  EXPECT_EQ(refused.quota_reset_seconds, 2);  // 3 requests at 2/s
  EXPECT_EQ(refused.permit, nullptr);

  clock_.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
}

TEST_F(RateLimiterTest, BucketNeverHoldsMoreThanTheBurst) {
  const RateLimits limits{.requests_per_second = 1, .burst = 2};
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
}

TEST_F(RateLimiterTest, BurstDefaultsToOneSecondOfRequests) {
  const RateLimits limits{.requests_per_second = 5};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter_.Admit("alice", limits).admitted()) << i;
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
  // A rate below one a second still admits one request.
  const RateLimits slow{.requests_per_second = 0.5};
  EXPECT_TRUE(limiter_.Admit("bob", slow).admitted());
  RateDecision refused = limiter_.Admit("bob", slow);
  EXPECT_EQ(refused.rejected_by, Limit::kRequests);
  EXPECT_EQ(refused.retry_after, absl::Seconds(2));
}

TEST_F(RateLimiterTest, ClientsHaveTheirOwnBuckets) {
  const RateLimits limits{.requests_per_second = 1};
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
  EXPECT_TRUE(limiter_.Admit("bob", limits).admitted());
}

TEST_F(RateLimiterTest, ConcurrencyLimitCountsHeldPermits) {
  const RateLimits limits{.max_concurrent = 2};
  RateDecision first = limiter_.Admit("alice", limits);
  RateDecision second = limiter_.Admit("alice", limits);
  ASSERT_TRUE(first.admitted());
  ASSERT_TRUE(second.admitted());
  RateDecision third = limiter_.Admit("alice", limits);
  EXPECT_EQ(third.rejected_by, Limit::kConcurrency);
  EXPECT_EQ(third.retry_after, absl::Seconds(1));
  // A copy of a permit keeps the request in flight.
  std::shared_ptr<void> copy = first.permit;
  first.permit.reset();
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
  copy.reset();
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
}

TEST_F(RateLimiterTest, RefusedRequestConsumesNothing) {
  const RateLimits limits{.requests_per_second = 1, .burst = 1, .max_concurrent = 1};
  RateDecision held = limiter_.Admit("alice", limits);
  ASSERT_TRUE(held.admitted());
  clock_.Advance(absl::Seconds(1));  // the request bucket is full again
  EXPECT_EQ(limiter_.Admit("alice", limits).rejected_by, Limit::kConcurrency);
  held.permit.reset();
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
}

TEST_F(RateLimiterTest, GeneratedTokensAreChargedAndRefillPerMinute) {
  const RateLimits limits{.tokens_per_minute = 600};  // 10 a second
  RateDecision first = limiter_.Admit("alice", limits);
  ASSERT_TRUE(first.admitted());
  EXPECT_EQ(first.quota_limit, 600);
  EXPECT_EQ(first.quota_remaining, 600);
  limiter_.ChargeTokens("alice", limits, 605);
  RateDecision refused = limiter_.Admit("alice", limits);
  EXPECT_EQ(refused.rejected_by, Limit::kTokens);
  EXPECT_EQ(refused.retry_after, absl::Milliseconds(600));  // -5 -> 1 at 10/s
  EXPECT_EQ(refused.quota_remaining, 0);
  EXPECT_EQ(refused.quota_reset_seconds, 61);
  clock_.Advance(absl::Milliseconds(600));
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
}

TEST_F(RateLimiterTest, TokenDebtIsAtMostOneMinute) {
  const RateLimits limits{.tokens_per_minute = 60};
  limiter_.ChargeTokens("alice", limits, 1000000);
  RateDecision refused = limiter_.Admit("alice", limits);
  EXPECT_EQ(refused.rejected_by, Limit::kTokens);
  EXPECT_EQ(refused.retry_after, absl::Seconds(61));
}

TEST_F(RateLimiterTest, ChargeWithoutTokenLimitDoesNothing) {
  limiter_.ChargeTokens("alice", RateLimits{.requests_per_second = 1}, 1000);
  EXPECT_TRUE(limiter_.Admit("alice", RateLimits{.requests_per_second = 1}).admitted());
}

TEST_F(RateLimiterTest, RequestQuotaIsReportedWhenBothBucketsExist) {
  const RateLimits limits{.requests_per_second = 4, .tokens_per_minute = 100};
  RateDecision decision = limiter_.Admit("alice", limits);
  ASSERT_TRUE(decision.admitted());
  EXPECT_EQ(decision.quota_limit, 4);
  EXPECT_EQ(decision.quota_remaining, 3);
}

TEST_F(RateLimiterTest, NewLimitsApplyAtOnceAndKeepTheBucketLevel) {
  RateLimits limits{.requests_per_second = 10};
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(limiter_.Admit("alice", limits).admitted());
  limits.requests_per_second = 1;  // a reloaded key file: bucket size 1
  EXPECT_TRUE(limiter_.Admit("alice", limits).admitted());
  EXPECT_FALSE(limiter_.Admit("alice", limits).admitted());
  // A limit that was off starts full.
  RateLimits none;
  EXPECT_TRUE(limiter_.Admit("bob", none).admitted());
  EXPECT_TRUE(limiter_.Admit("bob", RateLimits{.requests_per_second = 1}).admitted());
}

TEST_F(RateLimiterTest, IdleClientsAreForgottenButBusyOnesKept) {
  RateLimiter limiter({.clock = &clock_, .max_idle_clients = 4});
  const RateLimits limits{.requests_per_second = 1};
  RateDecision busy = limiter.Admit("busy", RateLimits{.max_concurrent = 1});
  for (int i = 0; i < 3; ++i) limiter.Admit("ip:" + std::to_string(i), limits);
  EXPECT_EQ(limiter.tracked_clients(), 4u);
  clock_.Advance(absl::Seconds(5));  // every bucket is full again
  limiter.Admit("ip:new", limits);
  EXPECT_EQ(limiter.tracked_clients(), 2u);  // busy and ip:new
  EXPECT_EQ(limiter.Admit("busy", RateLimits{.max_concurrent = 1}).rejected_by,
            Limit::kConcurrency);
}

TEST_F(RateLimiterTest, LimitNamesAreMetricLabels) {
  EXPECT_EQ(LimitName(Limit::kRequests), "requests");
  EXPECT_EQ(LimitName(Limit::kConcurrency), "concurrency");
  EXPECT_EQ(LimitName(Limit::kTokens), "tokens");
  EXPECT_EQ(LimitName(Limit::kNone), "");
}

}  // namespace
}  // namespace inferd::auth
