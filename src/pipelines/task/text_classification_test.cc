#include "pipelines/task/text_classification.h"

#include <cmath>

#include "gtest/gtest.h"
#include "pipelines/task/testing/task_pipeline_test_base.h"

namespace inferd::pipelines {
namespace {
namespace json = boost::json;

const std::string kTokenizer =
    WordPieceTokenizerJson({"good", "bad", "movie", "!"}, /*lowercase=*/true);

constexpr char kConfig[] = R"(
name: "sentiment"
platform: "pytorch_libtorch"
max_batch_size: 8
input [ { name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] },
        { name: "attention_mask" data_type: TYPE_INT64 dims: [ -1 ] } ]
output [ { name: "logits" data_type: TYPE_FP32 dims: [ 2 ] } ]
parameters { key: "task" value { string_value: "text-classification" } }
parameters { key: "labels" value { string_value: "labels.txt" } }
)";

class TextClassificationTest : public TaskPipelineTestBase {
 protected:
  void SetUp() override {
    TaskPipelineTestBase::SetUp();
    WriteAsset("tokenizer.json", kTokenizer);
    WriteAsset("labels.txt", "NEGATIVE\nPOSITIVE\n");
  }
  absl::StatusOr<std::unique_ptr<TaskPipeline>> Build(const std::string& extra) {
    return BuildFrom(kConfig + extra);
  }
};

Tensor Logits(float a, float b) {
  Tensor t;
  t.shape = {1, 2};
  t.data.resize(8);
  t.mutable_data_as<float>()[0] = a;
  t.mutable_data_as<float>()[1] = b;
  return t;
}

std::vector<int64_t> Row(const Tensor& t) {
  return std::vector<int64_t>(t.data_as<int64_t>(), t.data_as<int64_t>() + t.element_count());
}

TEST_F(TextClassificationTest, TokenizesAndAnswersTheBestLabel) {
  auto pipeline = Build("");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  ASSERT_NE(*pipeline, nullptr);
  auto params = (*pipeline)->ParseParameters(nullptr);
  ASSERT_TRUE(params.ok());
  json::value text = "Good movie!";
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  ASSERT_TRUE(features.ok()) << features.status();
  ASSERT_EQ(features->inputs.size(), 2u);
  EXPECT_EQ(Row(features->inputs[0]), (std::vector<int64_t>{2, 4, 6, 7, 3}));
  EXPECT_EQ(Row(features->inputs[1]), (std::vector<int64_t>{1, 1, 1, 1, 1}));
  auto prediction = (*pipeline)->Postprocess(*features, {Logits(0.0f, 2.0f)}, **params);
  ASSERT_TRUE(prediction.ok());
  EXPECT_EQ(prediction->at("label").as_string(), "POSITIVE");
  EXPECT_NEAR(prediction->at("score").as_double(), 1.0 / (1.0 + std::exp(-2.0)), 1e-9);
}

TEST_F(TextClassificationTest, TopKListsLabelsBestFirst) {
  auto pipeline = Build("");
  ASSERT_TRUE(pipeline.ok());
  json::object parameters{{"top_k", nullptr}};
  auto params = (*pipeline)->ParseParameters(&parameters);
  ASSERT_TRUE(params.ok()) << params.status();
  json::value text = "bad";
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  auto prediction = (*pipeline)->Postprocess(*features, {Logits(3.0f, -1.0f)}, **params);
  ASSERT_TRUE(prediction.ok());
  const json::array& list = prediction->as_array();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].at("label").as_string(), "NEGATIVE");
  EXPECT_EQ(list[1].at("label").as_string(), "POSITIVE");
  EXPECT_NEAR(list[0].at("score").as_double() + list[1].at("score").as_double(), 1.0, 1e-9);
}

TEST_F(TextClassificationTest, SigmoidScoresEachLabel) {
  auto pipeline = Build("");
  json::object parameters{{"function_to_apply", "sigmoid"}, {"top_k", 2}};
  auto params = (*pipeline)->ParseParameters(&parameters);
  ASSERT_TRUE(params.ok()) << params.status();
  json::value text = "bad";
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  auto prediction = (*pipeline)->Postprocess(*features, {Logits(0.0f, 0.0f)}, **params);
  EXPECT_DOUBLE_EQ(prediction->as_array()[0].at("score").as_double(), 0.5);
  EXPECT_DOUBLE_EQ(prediction->as_array()[1].at("score").as_double(), 0.5);
}

TEST_F(TextClassificationTest, BadParametersNameTheField) {
  auto pipeline = Build("");
  json::object zero{{"top_k", 0}};
  auto params = (*pipeline)->ParseParameters(&zero);
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("parameters.top_k"), std::string::npos);
  json::object unknown{{"threshold", 0.5}};
  params = (*pipeline)->ParseParameters(&unknown);
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("parameters.threshold"), std::string::npos);
  json::object function{{"function_to_apply", "relu"}};
  EXPECT_FALSE((*pipeline)->ParseParameters(&function).ok());
}

TEST_F(TextClassificationTest, BadInstancesAreErrorsOfTheirOwn) {
  auto pipeline = Build("");
  auto params = (*pipeline)->ParseParameters(nullptr);
  for (const char* bad : {R"("")", "42", R"({"txt": "a"})", R"({"text": 1})"}) {
    json::value instance = json::parse(bad);
    EXPECT_FALSE((*pipeline)->Preprocess(JsonInstance(&instance), **params).ok()) << bad;
  }
  json::value pair = json::parse(R"({"text": "good", "text_pair": "bad movie"})");
  auto features = (*pipeline)->Preprocess(JsonInstance(&pair), **params);
  ASSERT_TRUE(features.ok());
  EXPECT_EQ(Row(features->inputs[0]), (std::vector<int64_t>{2, 4, 3, 5, 6, 3}));
}

TEST_F(TextClassificationTest, TruncatesToMaxLength) {
  auto pipeline = Build(R"(parameters { key: "max_length" value { string_value: "4" } })");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto params = (*pipeline)->ParseParameters(nullptr);
  json::value text = "good good good good good";
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  EXPECT_EQ(Row(features->inputs[0]), (std::vector<int64_t>{2, 4, 4, 3}));
}

TEST_F(TextClassificationTest, PadsAcrossRequestsOnlyWithAnAttentionMask) {
  auto masked = Build("");
  ASSERT_TRUE(masked.ok()) << masked.status();
  EXPECT_TRUE((*masked)->pads_across_requests());
  // Without a mask, padding could change the answer: requests of different
  // lengths must not be padded to each other's length.
  std::string unmasked = kConfig;
  const std::string mask_input =
      ",\n        { name: \"attention_mask\" data_type: TYPE_INT64 dims: [ -1 ] }";
  ASSERT_NE(unmasked.find(mask_input), std::string::npos);
  unmasked.erase(unmasked.find(mask_input), mask_input.size());
  auto bare = BuildFrom(unmasked);
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_FALSE((*bare)->pads_across_requests());
}

TEST_F(TextClassificationTest, CollatePadsToTheLongestInTheBatch) {
  auto pipeline = Build("");
  auto params = (*pipeline)->ParseParameters(nullptr);
  json::value a = "good", b = "bad movie !";
  auto fa = (*pipeline)->Preprocess(JsonInstance(&a), **params);
  auto fb = (*pipeline)->Preprocess(JsonInstance(&b), **params);
  auto batch = (*pipeline)->Collate({&*fa, &*fb});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ((*batch)[0].shape, (Shape{2, 5}));
  EXPECT_EQ(Row((*batch)[0]), (std::vector<int64_t>{2, 4, 3, 0, 0, 2, 5, 6, 7, 3}));
  EXPECT_EQ(Row((*batch)[1]), (std::vector<int64_t>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1}));
}

TEST_F(TextClassificationTest, BadSettingsFailTheLoadNamingTheParameter) {
  struct Case {
    std::string extra;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {R"(parameters { key: "max_length" value { string_value: "x" } })",
            "parameters[\"max_length\"]"},
           {R"(parameters { key: "tokenizer" value { string_value: "missing.json" } })",
            "parameters[\"tokenizer\"]"},
           {R"(parameters { key: "output" value { string_value: "probs" } })",
            "parameters[\"output\"]"},
           {R"(parameters { key: "function_to_apply" value { string_value: "tanh" } })",
            "parameters[\"function_to_apply\"]"},
       }) {
    auto pipeline = Build(c.extra);
    ASSERT_FALSE(pipeline.ok()) << c.extra;
    EXPECT_NE(pipeline.status().message().find(c.expected), std::string::npos)
        << pipeline.status();
  }
  WriteAsset("labels.txt", "A\nB\nC\n");
  auto pipeline = Build("");
  ASSERT_FALSE(pipeline.ok());
  EXPECT_NE(pipeline.status().message().find("3 labels"), std::string::npos);
}

TEST(TaskRegistryTest, UnknownTaskFailsAndNoTaskIsNull) {
  TaskRegistry registry;
  RegisterBuiltinTasks(registry);
  config::ModelConfig config;
  config.set_max_batch_size(1);
  ModelSignature signature = *ModelSignature::Create(config);
  TaskContext context{&config, &signature, "/nonexistent"};
  auto none = registry.Create(context);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, nullptr);
  (*config.mutable_parameters())["task"].set_string_value("translation");
  auto unknown = registry.Create(context);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown task \"translation\""), std::string::npos);
  EXPECT_NE(unknown.status().message().find("text-classification"), std::string::npos);
}

}  // namespace
}  // namespace inferd::pipelines
