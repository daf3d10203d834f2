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

}  // namespace
}  // namespace inferd
