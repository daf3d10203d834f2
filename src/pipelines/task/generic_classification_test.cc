#include "pipelines/task/generic_classification.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/task/testing/task_pipeline_test_base.h"

namespace inferd::pipelines {
namespace {
namespace json = boost::json;
using ::testing::HasSubstr;

constexpr char kItems[] = R"json([
  {"id": 10, "title": "Heat (1995)", "genres": ["Crime", "Thriller"]},
  {"id": 20, "title": "Up (2009)", "genres": ["Animation"]},
  {"id": 30, "title": "Alien (1979)", "genres": ["Horror", "Sci-Fi"]},
  {"id": 40, "title": "Amelie (2001)", "genres": ["Comedy", "Romance"]}
])json";

constexpr char kConfig[] = R"(
name: "recommender"
platform: "pytorch_libtorch"
max_batch_size: 8
input [ { name: "user_id" data_type: TYPE_INT64 dims: [ 1 ] } ]
output [ { name: "scores" data_type: TYPE_FP32 dims: [ 4 ] } ]
parameters { key: "task" value { string_value: "classification" } }
parameters { key: "labels" value { string_value: "items.json" } }
parameters { key: "top_k" value { string_value: "2" } }
)";

class GenericClassificationTest : public TaskPipelineTestBase {
 protected:
  void SetUp() override {
    TaskPipelineTestBase::SetUp();
    WriteAsset("items.json", kItems);
  }
  absl::StatusOr<std::unique_ptr<TaskPipeline>> Build(const std::string& config_text) {
    return BuildFrom(config_text);
  }
};

Tensor Scores(std::vector<float> values) {
  Tensor t;
  t.shape = {1, static_cast<int64_t>(values.size())};
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  return t;
}

TEST_F(GenericClassificationTest, UserIdInTopItemsWithMetadataOut) {
  auto pipeline = Build(kConfig);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto params = (*pipeline)->ParseParameters(nullptr);
  ASSERT_TRUE(params.ok());
  for (const char* instance_text : {"7", "[7]", R"({"user_id": 7})"}) {
    json::value instance = json::parse(instance_text);
    auto features = (*pipeline)->Preprocess(JsonInstance(&instance), **params);
    ASSERT_TRUE(features.ok()) << instance_text << ": " << features.status();
    ASSERT_EQ(features->inputs.size(), 1u);
    EXPECT_EQ(features->inputs[0].shape, (Shape{1, 1}));
    EXPECT_EQ(features->inputs[0].data_as<int64_t>()[0], 7);
  }
  json::value instance = 7;
  auto features = (*pipeline)->Preprocess(JsonInstance(&instance), **params);
  auto prediction = (*pipeline)->Postprocess(*features, {Scores({3.5f, 4.5f, 1.0f, 4.0f})},
                                              **params);
  ASSERT_TRUE(prediction.ok()) << prediction.status();
  const json::array& top = prediction->as_array();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].at("id").as_int64(), 20);
  EXPECT_EQ(top[0].at("title").as_string(), "Up (2009)");
  EXPECT_EQ(top[0].at("genres").as_array()[0].as_string(), "Animation");
  EXPECT_DOUBLE_EQ(top[0].at("score").as_double(), 4.5);
  EXPECT_EQ(top[1].at("id").as_int64(), 40);
}

TEST_F(GenericClassificationTest, TopKAndExcludeFromTheRequest) {
  auto pipeline = Build(kConfig);
  json::object parameters{{"top_k", 3}, {"exclude", json::array{20, "40"}}};
  auto params = (*pipeline)->ParseParameters(&parameters);
  ASSERT_TRUE(params.ok()) << params.status();
  json::value instance = 1;
  auto features = (*pipeline)->Preprocess(JsonInstance(&instance), **params);
  auto prediction = (*pipeline)->Postprocess(*features, {Scores({3.5f, 4.5f, 1.0f, 4.0f})},
                                              **params);
  ASSERT_TRUE(prediction.ok());
  const json::array& top = prediction->as_array();
  ASSERT_EQ(top.size(), 2u);  // only two items are left
  EXPECT_EQ(top[0].at("id").as_int64(), 10);
  EXPECT_EQ(top[1].at("id").as_int64(), 30);
}

TEST_F(GenericClassificationTest, BadParametersAndInstancesNameTheField) {
  auto pipeline = Build(kConfig);
  struct Case {
    json::object parameters;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {{{"top_k", 0}}, "parameters.top_k"},
           {{{"top_k", 5}}, "parameters.top_k"},
           {{{"exclude", 20}}, "parameters.exclude"},
           {{{"exclude", json::array{99}}}, "parameters.exclude: 99 is not an item id"},
           {{{"threshold", 1}}, "parameters.threshold"},
       }) {
    auto params = (*pipeline)->ParseParameters(&c.parameters);
    ASSERT_FALSE(params.ok()) << json::serialize(c.parameters);
    EXPECT_THAT(params.status().message(), HasSubstr(c.expected));
  }
  auto params = (*pipeline)->ParseParameters(nullptr);
  for (const char* bad : {R"("seven")", "1.5", "[1, 2]", R"({"user": 1})", "null"}) {
    json::value instance = json::parse(bad);
    EXPECT_FALSE((*pipeline)->Preprocess(JsonInstance(&instance), **params).ok()) << bad;
  }
}

TEST_F(GenericClassificationTest, InputRangeAnswersOutOfRangeIdsInPlace) {
  const std::string ranged = std::string(kConfig) +
      R"(parameters { key: "input_min" value { string_value: "0" } }
         parameters { key: "input_max" value { string_value: "499" } })";
  auto pipeline = Build(ranged);
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto params = (*pipeline)->ParseParameters(nullptr);
  for (const char* good : {"0", "499", "[17]", R"({"user_id": 3})"}) {
    json::value instance = json::parse(good);
    EXPECT_TRUE((*pipeline)->Preprocess(JsonInstance(&instance), **params).ok()) << good;
  }
  for (const auto& [bad, message] : std::vector<std::pair<const char*, const char*>>{
           {"500", "user_id is 500; this model takes values in 0..499"},
           {"-1", "user_id is -1"},
           {"[9999]", "user_id[0] is 9999"},
           {R"({"user_id": 600})", "user_id is 600"}}) {
    json::value instance = json::parse(bad);
    auto features = (*pipeline)->Preprocess(JsonInstance(&instance), **params);
    ASSERT_FALSE(features.ok()) << bad;
    EXPECT_THAT(features.status().message(), HasSubstr(message)) << bad;
  }
  // Without the parameters every id passes (the model decides).
  auto unbounded = Build(kConfig);
  json::value big = json::parse("123456");
  EXPECT_TRUE((*unbounded)->Preprocess(JsonInstance(&big), **params).ok());
  // A range that is empty or not a number fails the load naming it.
  auto inverted = Build(std::string(kConfig) +
                        R"(parameters { key: "input_min" value { string_value: "5" } }
                           parameters { key: "input_max" value { string_value: "1" } })");
  ASSERT_FALSE(inverted.ok());
  EXPECT_THAT(inverted.status().message(), HasSubstr("input_min"));
  auto word = Build(std::string(kConfig) +
                    R"(parameters { key: "input_max" value { string_value: "many" } })");
  ASSERT_FALSE(word.ok());
  EXPECT_THAT(word.status().message(), HasSubstr("input_max"));
}

TEST_F(GenericClassificationTest, FeaturesAndLabelsTxtWithSoftmax) {
  WriteAsset("labels.txt", "setosa\nversicolor\nvirginica\n");
  auto pipeline = Build(R"(
    name: "iris" platform: "pytorch_libtorch" max_batch_size: 8
    input [ { name: "features" data_type: TYPE_FP32 dims: [ 4 ] } ]
    output [ { name: "logits" data_type: TYPE_FP32 dims: [ 3 ] } ]
    parameters { key: "task" value { string_value: "classification" } }
    parameters { key: "labels" value { string_value: "labels.txt" } }
    parameters { key: "function_to_apply" value { string_value: "softmax" } }
    parameters { key: "top_k" value { string_value: "1" } })");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto params = (*pipeline)->ParseParameters(nullptr);
  json::value instance = json::parse("[5.1, 3.5, 1.4, 0.2]");
  auto features = (*pipeline)->Preprocess(JsonInstance(&instance), **params);
  ASSERT_TRUE(features.ok()) << features.status();
  EXPECT_FLOAT_EQ(features->inputs[0].data_as<float>()[2], 1.4f);
  auto prediction = (*pipeline)->Postprocess(*features, {Scores({2.0f, 0.0f, 0.0f})}, **params);
  ASSERT_TRUE(prediction.ok());
  EXPECT_EQ(prediction->as_array()[0].at("label").as_string(), "setosa");
  EXPECT_NEAR(prediction->as_array()[0].at("score").as_double(),
              std::exp(2.0) / (std::exp(2.0) + 2), 1e-6);
}

TEST_F(GenericClassificationTest, CatalogMustMatchTheOutput) {
  WriteAsset("items.json", R"json([{"id": 1}])json");
  auto pipeline = Build(kConfig);
  ASSERT_FALSE(pipeline.ok());
  EXPECT_THAT(pipeline.status().message(), HasSubstr("4 columns but the catalog has 1"));
}

}  // namespace
}  // namespace inferd::pipelines
