#include "tensor/classification.h"

#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;

Tensor Floats(Shape shape, std::vector<float> values) {
  Tensor t{DataType::kFp32, std::move(shape), std::string(values.size() * 4, '\0'), {}};
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

TEST(ClassifyTest, TopKPerRowWithLabels) {
  absl::StatusOr<Tensor> top =
      Classify(Floats({2, 3}, {0.1f, 0.7f, 0.2f, 5, 5, 1}), 2, true, {"cat", "dog"}, "probs");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->dtype, DataType::kBytes);
  EXPECT_THAT(top->shape, ElementsAre(2, 2));
  // Ties keep the lower index first; index 2 has no label.
  EXPECT_THAT(top->strings, ElementsAre("0.700000:1:dog", "0.200000:2", "5.000000:0:cat",
                                        "5.000000:1:dog"));
}

TEST(ClassifyTest, UnbatchedIntegersAndKPastTheClasses) {
  Tensor t{DataType::kInt32, {3}, std::string(12, '\0'), {}};
  const int32_t values[] = {4, -2, 9};
  std::memcpy(t.data.data(), values, 12);
  absl::StatusOr<Tensor> top = Classify(t, 10, false, {}, "o");
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_THAT(top->shape, ElementsAre(3));
  EXPECT_THAT(top->strings, ElementsAre("9:2", "4:0", "-2:1"));
}

TEST(ClassifyTest, BytesOutputsAreRefused) {
  Tensor t{DataType::kBytes, {1}, "", {"x"}};
  absl::StatusOr<Tensor> top = Classify(t, 1, false, {}, "words");
  EXPECT_EQ(top.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(top.status().message()), ::testing::HasSubstr("output \"words\""));
}

}  // namespace
}  // namespace inferd
