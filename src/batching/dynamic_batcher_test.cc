#include "batching/dynamic_batcher.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;

const absl::Time kT0 = absl::UnixEpoch() + absl::Hours(1);

BatchItemInfo Rows(int64_t rows, std::string key = "k") {
  BatchItemInfo info;
  info.rows = rows;
  info.compatibility_key = std::move(key);
  return info;
}

BatchPolicy Batching(int64_t max, absl::Duration delay) {
  BatchPolicy policy;
  policy.batching = true;
  policy.max_batch_size = max;
  policy.max_queue_delay = delay;
  return policy;
}

TEST(DynamicBatcherTest, WithoutBatchingEveryRequestRunsAlone) {
  BatchPolicy policy;
  policy.max_batch_size = 8;
  DynamicBatcher<int> batcher(policy);
  ASSERT_TRUE(batcher.Add(1, Rows(1), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(1), kT0).ok());
  auto batch = batcher.TakeBatch(kT0);
  ASSERT_TRUE(batch);
  EXPECT_THAT(batch->items, ElementsAre(1));
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(2));
  EXPECT_FALSE(batcher.TakeBatch(kT0));
}

TEST(DynamicBatcherTest, HoldsPartialBatchUntilDelayThenReleasesIt) {
  DynamicBatcher<int> batcher(Batching(8, absl::Milliseconds(5)));
  ASSERT_TRUE(batcher.Add(1, Rows(1), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(2), kT0 + absl::Milliseconds(1)).ok());
  EXPECT_FALSE(batcher.TakeBatch(kT0 + absl::Milliseconds(4)));
  EXPECT_EQ(batcher.NextWakeup(), kT0 + absl::Milliseconds(5));
  auto batch = batcher.TakeBatch(kT0 + absl::Milliseconds(5));
  ASSERT_TRUE(batch);
  EXPECT_THAT(batch->items, ElementsAre(1, 2));
  EXPECT_EQ(batch->rows, 3);
  EXPECT_TRUE(batcher.empty());
}

TEST(DynamicBatcherTest, ReleasesFullBatchAtOnceAndKeepsTheRest) {
  DynamicBatcher<int> batcher(Batching(4, absl::Seconds(10)));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(batcher.Add(i, Rows(1), kT0).ok());
  auto batch = batcher.TakeBatch(kT0);
  ASSERT_TRUE(batch);
  EXPECT_THAT(batch->items, ElementsAre(0, 1, 2, 3));
  EXPECT_FALSE(batcher.TakeBatch(kT0));
  EXPECT_EQ(batcher.size(), 1u);
}

TEST(DynamicBatcherTest, NeverSplitsARequestAcrossBatches) {
  DynamicBatcher<int> batcher(Batching(4, absl::ZeroDuration()));
  ASSERT_TRUE(batcher.Add(1, Rows(3), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(2), kT0).ok());
  auto first = batcher.TakeBatch(kT0);
  EXPECT_THAT(first->items, ElementsAre(1));
  EXPECT_EQ(first->rows, 3);
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(2));
}

TEST(DynamicBatcherTest, ReleasesLargestPreferredSizeWithoutWaiting) {
  BatchPolicy policy = Batching(16, absl::Seconds(10));
  policy.preferred_batch_sizes = {4, 2};
  DynamicBatcher<int> batcher(policy);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(batcher.Add(i, Rows(1), kT0).ok());
  EXPECT_FALSE(batcher.TakeBatch(kT0));  // 3 < largest preferred (4)
  for (int i = 3; i < 6; ++i) ASSERT_TRUE(batcher.Add(i, Rows(1), kT0).ok());
  auto batch = batcher.TakeBatch(kT0);
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->rows, 4);
  // After the delay, the 2 left go out as the preferred size 2.
  auto rest = batcher.TakeBatch(kT0 + absl::Seconds(10));
  ASSERT_TRUE(rest);
  EXPECT_EQ(rest->rows, 2);
}

TEST(DynamicBatcherTest, AfterDelayPicksLargestPreferredSizeThatFits) {
  BatchPolicy policy = Batching(16, absl::Milliseconds(1));
  policy.preferred_batch_sizes = {2, 8};
  DynamicBatcher<int> batcher(policy);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(batcher.Add(i, Rows(1), kT0).ok());
  auto batch = batcher.TakeBatch(kT0 + absl::Milliseconds(1));
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->rows, 2);
}

TEST(DynamicBatcherTest, BatchesOnlyCompatibleShapes) {
  DynamicBatcher<int> batcher(Batching(8, absl::ZeroDuration()));
  ASSERT_TRUE(batcher.Add(1, Rows(1, "len=3"), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(1, "len=5"), kT0).ok());
  ASSERT_TRUE(batcher.Add(3, Rows(1, "len=3"), kT0).ok());
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(1, 3));
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(2));
}

TEST(DynamicBatcherTest, HigherPriorityLevelGoesFirst) {
  BatchPolicy policy = Batching(1, absl::ZeroDuration());
  policy.priority_levels = 3;
  policy.default_priority_level = 2;
  DynamicBatcher<int> batcher(policy);
  BatchItemInfo low = Rows(1), high = Rows(1);
  low.priority_level = 3;
  high.priority_level = 1;
  ASSERT_TRUE(batcher.Add(30, low, kT0).ok());
  ASSERT_TRUE(batcher.Add(20, Rows(1), kT0).ok());  // default level 2
  ASSERT_TRUE(batcher.Add(10, high, kT0).ok());
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(10));
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(20));
  EXPECT_THAT(batcher.TakeBatch(kT0)->items, ElementsAre(30));
}

TEST(DynamicBatcherTest, RejectsPriorityOutsideLevels) {
  BatchPolicy policy = Batching(4, absl::ZeroDuration());
  policy.priority_levels = 2;
  policy.default_priority_level = 1;
  DynamicBatcher<int> batcher(policy);
  BatchItemInfo info = Rows(1);
  info.priority_level = 3;
  EXPECT_TRUE(absl::IsInvalidArgument(batcher.Add(1, info, kT0).status()));
}

TEST(DynamicBatcherTest, FullQueueRefusesAtOnce) {
  BatchPolicy policy = Batching(4, absl::Seconds(1));
  policy.default_queue_policy.max_queue_size = 2;
  DynamicBatcher<int> batcher(policy);
  ASSERT_TRUE(batcher.Add(1, Rows(1), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(1), kT0).ok());
  absl::Status full = batcher.Add(3, Rows(1), kT0).status();
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_EQ(batcher.size(), 2u);
}

TEST(DynamicBatcherTest, RejectTimeoutDropsExpiredRequestsBeforeBatching) {
  BatchPolicy policy = Batching(4, absl::Seconds(1));
  policy.default_queue_policy.default_timeout = absl::Milliseconds(10);
  DynamicBatcher<int> batcher(policy);
  ASSERT_TRUE(batcher.Add(1, Rows(1), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(1), kT0 + absl::Milliseconds(5)).ok());
  EXPECT_EQ(batcher.NextWakeup(), kT0 + absl::Milliseconds(10));
  EXPECT_TRUE(batcher.TakeExpired(kT0 + absl::Milliseconds(9)).empty());
  EXPECT_THAT(batcher.TakeExpired(kT0 + absl::Milliseconds(10)), ElementsAre(1));
  EXPECT_EQ(batcher.size(), 1u);
}

TEST(DynamicBatcherTest, PerRequestTimeoutOnlyWhenOverrideAllowed) {
  BatchPolicy policy = Batching(4, absl::Seconds(1));
  DynamicBatcher<int> strict(policy);
  BatchItemInfo info = Rows(1);
  info.timeout = absl::Milliseconds(1);
  ASSERT_TRUE(strict.Add(1, info, kT0).ok());
  EXPECT_TRUE(strict.TakeExpired(kT0 + absl::Seconds(5)).empty());

  policy.default_queue_policy.allow_timeout_override = true;
  DynamicBatcher<int> lenient(policy);
  ASSERT_TRUE(lenient.Add(1, info, kT0).ok());
  EXPECT_THAT(lenient.TakeExpired(kT0 + absl::Milliseconds(1)), ElementsAre(1));
}

TEST(DynamicBatcherTest, DelayTimeoutMovesRequestBehindOthers) {
  BatchPolicy policy = Batching(1, absl::ZeroDuration());
  policy.default_queue_policy.default_timeout = absl::Milliseconds(10);
  policy.default_queue_policy.timeout_action = QueuePolicy::TimeoutAction::kDelay;
  DynamicBatcher<int> batcher(policy);
  ASSERT_TRUE(batcher.Add(1, Rows(1), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(1), kT0 + absl::Milliseconds(8)).ok());
  EXPECT_TRUE(batcher.TakeExpired(kT0 + absl::Milliseconds(10)).empty());
  EXPECT_THAT(batcher.TakeBatch(kT0 + absl::Milliseconds(10))->items, ElementsAre(2));
  EXPECT_THAT(batcher.TakeBatch(kT0 + absl::Milliseconds(10))->items, ElementsAre(1));
}

TEST(DynamicBatcherTest, RemoveCancelsAQueuedRequest) {
  DynamicBatcher<int> batcher(Batching(4, absl::Seconds(1)));
  ASSERT_TRUE(batcher.Add(1, Rows(1), kT0).ok());
  ASSERT_TRUE(batcher.Add(2, Rows(1), kT0).ok());
  EXPECT_EQ(batcher.Remove([](int v) { return v == 1; }), 1);
  EXPECT_FALSE(batcher.Remove([](int v) { return v == 7; }));
  EXPECT_THAT(batcher.TakeBatch(kT0 + absl::Seconds(1))->items, ElementsAre(2));
}

}  // namespace
}  // namespace inferd
