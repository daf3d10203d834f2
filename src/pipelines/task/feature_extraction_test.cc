#include "pipelines/task/feature_extraction.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/task/testing/task_pipeline_test_base.h"

namespace inferd::pipelines {
namespace {
namespace json = boost::json;
using ::testing::HasSubstr;

const std::string kTokenizer =
    WordPieceTokenizerJson({"sunny", "day"}, /*lowercase=*/true);

constexpr char kConfig[] = R"(
name: "embedder"
platform: "pytorch_libtorch"
max_batch_size: 8
input [ { name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] },
        { name: "attention_mask" data_type: TYPE_INT64 dims: [ -1 ] } ]
output [ { name: "last_hidden_state" data_type: TYPE_FP32 dims: [ -1, 2 ] } ]
parameters { key: "task" value { string_value: "feature-extraction" } }
)";

class FeatureExtractionTest : public TaskPipelineTestBase {
 protected:
  void SetUp() override {
    TaskPipelineTestBase::SetUp();
    WriteAsset("tokenizer.json", kTokenizer);
  }
  absl::StatusOr<std::unique_ptr<TaskPipeline>> Build(const std::string& extra) {
    return BuildFrom(kConfig + extra);
  }
};

// Token states [1, rows, 2] from `values` (rows * 2 floats).
Tensor States(std::vector<float> values) {
  Tensor t;
  t.shape = {1, static_cast<int64_t>(values.size() / 2), 2};
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  return t;
}

std::vector<double> Vector(const json::value& v) {
  std::vector<double> out;
  for (const json::value& x : v.as_array()) out.push_back(x.as_double());
  return out;
}

TEST_F(FeatureExtractionTest, MeanPoolsTheInstanceTokensNotThePadding) {
  auto pipeline = Build("");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto params = (*pipeline)->ParseParameters(nullptr);
  ASSERT_TRUE(params.ok());
  json::value text = "Sunny day";
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  ASSERT_TRUE(features.ok()) << features.status();
  EXPECT_EQ(features->tokens, 4);  // [CLS] sunny day [SEP]
  // Four token rows, then two rows of padding that Collate added.
  auto vector = (*pipeline)->Postprocess(
      *features, {States({1, 0, 3, 4, 5, 8, 3, 0, 100, 100, -50, 7})}, **params);
  ASSERT_TRUE(vector.ok()) << vector.status();
  EXPECT_EQ(Vector(*vector), (std::vector<double>{3, 3}));
}

TEST_F(FeatureExtractionTest, NormalizeAndClsFromConfigAndRequest) {
  auto pipeline = Build(R"(parameters { key: "normalize" value { string_value: "true" } }
                          parameters { key: "pooling" value { string_value: "cls" } })");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  json::value text = "day";
  auto params = (*pipeline)->ParseParameters(nullptr);
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  Tensor states = States({3, 4, 1, 1, 1, 1});
  auto vector = (*pipeline)->Postprocess(*features, {states}, **params);
  ASSERT_TRUE(vector.ok());
  EXPECT_NEAR(Vector(*vector)[0], 0.6, 1e-6);
  EXPECT_NEAR(Vector(*vector)[1], 0.8, 1e-6);
  json::object raw{{"normalize", false}, {"pooling", "mean"}};
  params = (*pipeline)->ParseParameters(&raw);
  ASSERT_TRUE(params.ok()) << params.status();
  vector = (*pipeline)->Postprocess(*features, {states}, **params);
  EXPECT_NEAR(Vector(*vector)[0], 5.0 / 3, 1e-6);
}

TEST_F(FeatureExtractionTest, TokenIdsAreUsedAsTheyAre) {
  auto pipeline = Build("");
  auto params = (*pipeline)->ParseParameters(nullptr);
  json::value ids = json::parse("[4, 5, 4]");
  auto features = (*pipeline)->Preprocess(JsonInstance(&ids), **params);
  ASSERT_TRUE(features.ok()) << features.status();
  EXPECT_EQ(features->tokens, 3);
  EXPECT_EQ(features->inputs[0].data_as<int64_t>()[2], 4);
  for (const char* bad : {"[]", "[4, 99]", "[4, 1.5]", "[-1]", R"("")", "7", R"({"txt": "a"})"}) {
    json::value instance = json::parse(bad);
    EXPECT_FALSE((*pipeline)->Preprocess(JsonInstance(&instance), **params).ok()) << bad;
  }
}

TEST_F(FeatureExtractionTest, BadParametersNameTheField) {
  auto pipeline = Build("");
  json::object bad{{"normalize", "yes"}};
  auto params = (*pipeline)->ParseParameters(&bad);
  ASSERT_FALSE(params.ok());
  EXPECT_THAT(params.status().message(), HasSubstr("parameters.normalize"));
  json::object pooling{{"pooling", "max"}};
  EXPECT_FALSE((*pipeline)->ParseParameters(&pooling).ok());
  json::object unknown{{"top_k", 1}};
  params = (*pipeline)->ParseParameters(&unknown);
  ASSERT_FALSE(params.ok());
  EXPECT_THAT(params.status().message(), HasSubstr("parameters.top_k"));
}

TEST_F(FeatureExtractionTest, BadSettingsFailTheLoad) {
  auto pipeline = Build(R"(parameters { key: "pooling" value { string_value: "max" } })");
  ASSERT_FALSE(pipeline.ok());
  EXPECT_THAT(pipeline.status().message(), HasSubstr("parameters[\"pooling\"]"));
  pipeline = Build(R"(parameters { key: "normalize" value { string_value: "1" } })");
  ASSERT_FALSE(pipeline.ok());
  EXPECT_THAT(pipeline.status().message(), HasSubstr("parameters[\"normalize\"]"));
}

}  // namespace
}  // namespace inferd::pipelines
