#include "pipelines/image/classification.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

TEST(ClassificationTest, SoftmaxTopKBestFirst) {
  // exp(0) : exp(ln 3) : exp(0) = 1 : 3 : 1 -> 0.2, 0.6, 0.2.
  const std::vector<float> logits = {0.0f, std::log(3.0f), 0.0f};
  std::vector<ClassScore> top = TopKClasses(logits, 2, true);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].class_id, 1);
  EXPECT_NEAR(top[0].score, 0.6f, 1e-6);
  EXPECT_EQ(top[1].class_id, 0);  // tie with class 2: lower id first
  EXPECT_NEAR(top[1].score, 0.2f, 1e-6);
}

TEST(ClassificationTest, SoftmaxIsStableForLargeLogits) {
  std::vector<ClassScore> top = TopKClasses({1000.0f, 1000.0f}, 5, true);
  ASSERT_EQ(top.size(), 2u);  // k larger than the classes
  EXPECT_FLOAT_EQ(top[0].score, 0.5f);
}

TEST(ClassificationTest, ProbabilitiesPassThroughWithoutSoftmax) {
  std::vector<ClassScore> top = TopKClasses({0.1f, 0.3f, 0.6f}, 1, false);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].class_id, 2);
  EXPECT_FLOAT_EQ(top[0].score, 0.6f);
}

TEST(ClassificationTest, LabelsFallBackToTheClassId) {
  EXPECT_EQ(LabelOf({"cat", "dog"}, 1), "dog");
  EXPECT_EQ(LabelOf({"cat", "dog"}, 7), "7");
}

}  // namespace
}  // namespace inferd::pipelines
