#include "pipelines/task/pooling.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;

TEST(PoolingTest, MeanAveragesOnlyUnmaskedTokens) {
  // Three tokens of dimension 2; the last is padding with large values.
  const std::vector<float> states = {1, 2, 3, 6, 100, -100};
  absl::StatusOr<std::vector<float>> pooled =
      Pool(states, std::vector<int32_t>{1, 1, 0}, 2, Pooling::kMean);
  ASSERT_TRUE(pooled.ok()) << pooled.status();
  EXPECT_THAT(*pooled, ElementsAre(FloatEq(2), FloatEq(4)));
}

TEST(PoolingTest, MaskedTokenInTheMiddleIsSkipped) {
  const std::vector<float> states = {1, 9, 3};
  auto pooled = Pool(states, std::vector<int32_t>{1, 0, 1}, 1, Pooling::kMean);
  ASSERT_TRUE(pooled.ok());
  EXPECT_THAT(*pooled, ElementsAre(FloatEq(2)));
}

TEST(PoolingTest, ClsTakesTheFirstRow) {
  const std::vector<float> states = {5, -1, 3, 6};
  auto pooled = Pool(states, std::vector<int32_t>{1, 1}, 2, Pooling::kCls);
  ASSERT_TRUE(pooled.ok());
  EXPECT_THAT(*pooled, ElementsAre(FloatEq(5), FloatEq(-1)));
}

TEST(PoolingTest, AllMaskedPoolsToZeros) {
  const std::vector<float> states = {5, -1};
  auto pooled = Pool(states, std::vector<int32_t>{0}, 2, Pooling::kMean);
  ASSERT_TRUE(pooled.ok());
  EXPECT_THAT(*pooled, ElementsAre(FloatEq(0), FloatEq(0)));
}

TEST(PoolingTest, SizeMismatchIsAnError) {
  const std::vector<float> states = {1, 2, 3};
  auto pooled = Pool(states, std::vector<int32_t>{1, 1}, 2, Pooling::kMean);
  ASSERT_FALSE(pooled.ok());
  EXPECT_THAT(pooled.status().message(), HasSubstr("3 state values for 2 tokens"));
  EXPECT_FALSE(Pool({}, {}, 2, Pooling::kMean).ok());
}

TEST(PoolingTest, L2NormalizeGivesUnitLength) {
  std::vector<float> v = {3, 4};
  L2Normalize(v);
  EXPECT_THAT(v, ElementsAre(FloatEq(0.6f), FloatEq(0.8f)));
  std::vector<float> zero = {0, 0};
  L2Normalize(zero);
  EXPECT_THAT(zero, ElementsAre(FloatEq(0), FloatEq(0)));
}

TEST(PoolingTest, ParsesNames) {
  EXPECT_EQ(*ParsePooling("mean"), Pooling::kMean);
  EXPECT_EQ(*ParsePooling("cls"), Pooling::kCls);
  auto bad = ParsePooling("max");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("not one of mean, cls"));
}

}  // namespace
}  // namespace inferd::pipelines
