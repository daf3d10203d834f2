#include "backend/gguf_encoder_instance.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace inferd {
namespace {

Tensor Int64Tensor(std::vector<int64_t> values, Shape shape) {
  Tensor t;
  t.dtype = DataType::kInt64;
  t.shape = std::move(shape);
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(int64_t));
  return t;
}

class GgufEncoderInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = llm::EncoderModel::Load("tests/data/llm/tiny-bert-f32.gguf");
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
  }
  std::shared_ptr<const llm::EncoderModel> model_;
};

TEST_F(GgufEncoderInstanceTest, RightPaddingDoesNotChangeATextsStates) {
  GgufEncoderInstance instance(model_, 2);
  const int64_t dim = model_->config().dim;
  // Row 0: three tokens and two of padding; row 1: five tokens.
  std::vector<Tensor> padded = {
      Int64Tensor({2, 7, 3, 0, 0, 2, 5, 6, 7, 3}, {2, 5}),
      Int64Tensor({1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, {2, 5})};
  auto batch = instance.Execute(padded);
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ((*batch)[0].shape, (Shape{2, 5, dim}));
  auto alone = instance.Execute({Int64Tensor({2, 7, 3}, {1, 3}), Int64Tensor({1, 1, 1}, {1, 3})});
  ASSERT_TRUE(alone.ok()) << alone.status();
  const float* b = (*batch)[0].data_as<float>();
  const float* a = (*alone)[0].data_as<float>();
  for (int64_t i = 0; i < 3 * dim; ++i) ASSERT_NEAR(b[i], a[i], 1e-5) << i;
  for (int64_t i = 3 * dim; i < 5 * dim; ++i) ASSERT_EQ(b[i], 0.0f) << "padding " << i;
  bool nonzero = false;
  for (int64_t i = 0; i < dim; ++i) nonzero = nonzero || b[i] != 0.0f;
  EXPECT_TRUE(nonzero);
}

TEST_F(GgufEncoderInstanceTest, RefusesIdsOutsideTheVocabulary) {
  GgufEncoderInstance instance(model_, 1);
  auto out = instance.Execute({Int64Tensor({2, 1000000, 3}, {1, 3}), Int64Tensor({1, 1, 1}, {1, 3})});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("vocabulary"), std::string::npos);
}

TEST_F(GgufEncoderInstanceTest, RefusesMasksOtherThanZeroOrOneAndRowsWithNoTokens) {
  GgufEncoderInstance instance(model_, 1);
  auto odd = instance.Execute({Int64Tensor({2, 7}, {1, 2}), Int64Tensor({5, -3}, {1, 2})});
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(odd.status().message().find("attention_mask: values must be 0 or 1, got 5 at [0, 0]"),
            std::string::npos)
      << odd.status();
  auto masked = instance.Execute(
      {Int64Tensor({2, 7, 3, 4}, {2, 2}), Int64Tensor({1, 1, 0, 0}, {2, 2})});
  ASSERT_FALSE(masked.ok());
  EXPECT_NE(masked.status().message().find("row 1 has no tokens (attention_mask is all 0)"),
            std::string::npos)
      << masked.status();
  auto empty = instance.Execute({Int64Tensor({}, {1, 0})});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("row 0 has no tokens"), std::string::npos)
      << empty.status();
}

}  // namespace
}  // namespace inferd
