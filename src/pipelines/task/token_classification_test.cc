#include "pipelines/task/token_classification.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pipelines/task/testing/task_pipeline_test_base.h"

namespace inferd::pipelines {
namespace {
namespace json = boost::json;
using ::testing::HasSubstr;

// Cased WordPiece: "Marg ##are" splits into two pieces.
const std::string kTokenizer =
    WordPieceTokenizerJson({"Marg", "##are", "in", "Köln", "."}, /*lowercase=*/false);

constexpr char kConfig[] = R"(
name: "ner"
platform: "pytorch_libtorch"
max_batch_size: 8
input [ { name: "input_ids" data_type: TYPE_INT64 dims: [ -1 ] },
        { name: "attention_mask" data_type: TYPE_INT64 dims: [ -1 ] } ]
output [ { name: "logits" data_type: TYPE_FP32 dims: [ -1, 5 ] } ]
parameters { key: "task" value { string_value: "token-classification" } }
parameters { key: "label_names" value { string_value: "O,B-PER,I-PER,B-LOC,I-LOC" } }
)";

class TokenClassificationTest : public TaskPipelineTestBase {
 protected:
  void SetUp() override {
    TaskPipelineTestBase::SetUp();
    WriteAsset("tokenizer.json", kTokenizer);
  }
  absl::StatusOr<std::unique_ptr<TaskPipeline>> Build(const std::string& extra) {
    return BuildFrom(kConfig + extra);
  }
};

// Logits [1, rows, 5] with a large value at each row's `best` label.
Tensor Logits(const std::vector<int>& best) {
  Tensor t;
  t.shape = {1, static_cast<int64_t>(best.size()), 5};
  std::vector<float> values(best.size() * 5, 0.0f);
  for (size_t r = 0; r < best.size(); ++r) values[r * 5 + best[r]] = 8.0f;
  t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  return t;
}

// "Margare in Köln.": [CLS] Marg ##are in Köln . [SEP], then one padding row.
// [CLS] and [SEP] are predicted B-LOC: special tokens must never show up.
const std::vector<int> kBest = {3, 1, 2, 0, 3, 0, 3, 3};

TEST_F(TokenClassificationTest, SimpleGroupsPiecesWithCharacterOffsets) {
  auto pipeline = Build(R"(parameters { key: "aggregation_strategy" value { string_value: "simple" } })");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto params = (*pipeline)->ParseParameters(nullptr);
  json::value text = "Margare in Köln.";
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **params);
  ASSERT_TRUE(features.ok()) << features.status();
  EXPECT_EQ(features->tokens, 7);
  auto prediction = (*pipeline)->Postprocess(*features, {Logits(kBest)}, **params);
  ASSERT_TRUE(prediction.ok()) << prediction.status();
  const json::array& entities = prediction->as_array();
  ASSERT_EQ(entities.size(), 2u) << json::serialize(*prediction);
  EXPECT_EQ(entities[0].at("entity_group").as_string(), "PER");
  EXPECT_EQ(entities[0].at("word").as_string(), "Margare");
  EXPECT_EQ(entities[0].at("start").as_int64(), 0);
  EXPECT_EQ(entities[0].at("end").as_int64(), 7);
  EXPECT_EQ(entities[1].at("entity_group").as_string(), "LOC");
  EXPECT_EQ(entities[1].at("word").as_string(), "Köln");
  // Characters, not bytes: "ö" is two bytes.
  EXPECT_EQ(entities[1].at("start").as_int64(), 11);
  EXPECT_EQ(entities[1].at("end").as_int64(), 15);
  EXPECT_GT(entities[1].at("score").as_double(), 0.99);
}

TEST_F(TokenClassificationTest, NoneListsTokensAndRequestOverridesTheDefault) {
  auto pipeline = Build("");
  ASSERT_TRUE(pipeline.ok());
  json::value text = "Margare in Köln.";
  auto defaults = (*pipeline)->ParseParameters(nullptr);
  auto features = (*pipeline)->Preprocess(JsonInstance(&text), **defaults);
  auto tokens = (*pipeline)->Postprocess(*features, {Logits(kBest)}, **defaults);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->as_array().size(), 3u);
  EXPECT_EQ(tokens->as_array()[1].at("entity").as_string(), "I-PER");
  EXPECT_EQ(tokens->as_array()[1].at("word").as_string(), "are");
  EXPECT_EQ(tokens->as_array()[1].at("index").as_int64(), 2);

  // Under "first" the word Margare takes its first piece's label even when
  // the second piece disagrees.
  std::vector<int> unsure = kBest;
  unsure[2] = 3;
  json::object first{{"aggregation_strategy", "first"}};
  auto params = (*pipeline)->ParseParameters(&first);
  ASSERT_TRUE(params.ok());
  auto words = (*pipeline)->Postprocess(*features, {Logits(unsure)}, **params);
  ASSERT_TRUE(words.ok());
  ASSERT_EQ(words->as_array().size(), 2u);
  EXPECT_EQ(words->as_array()[0].at("entity_group").as_string(), "PER");
  EXPECT_EQ(words->as_array()[0].at("word").as_string(), "Margare");
}

TEST_F(TokenClassificationTest, BadParametersAndSettingsNameTheField) {
  auto pipeline = Build("");
  json::object bad{{"aggregation_strategy", "longest"}};
  auto params = (*pipeline)->ParseParameters(&bad);
  ASSERT_FALSE(params.ok());
  EXPECT_THAT(params.status().message(), HasSubstr("parameters.aggregation_strategy"));
  auto broken = Build(R"(parameters { key: "aggregation_strategy" value { string_value: "x" } })");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("parameters[\"aggregation_strategy\"]"));
  WriteAsset("labels.txt", "O\nB-PER\n");
  broken = Build(R"(parameters { key: "labels" value { string_value: "labels.txt" } })");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.status().message(), HasSubstr("5 labels but there are 2"));
}

TEST_F(TokenClassificationTest, BadInstancesFailAlone) {
  auto pipeline = Build("");
  auto params = (*pipeline)->ParseParameters(nullptr);
  for (const char* bad : {R"("")", "[1, 2]", R"({"text": "a", "text_pair": "b"})"}) {
    json::value instance = json::parse(bad);
    EXPECT_FALSE((*pipeline)->Preprocess(JsonInstance(&instance), **params).ok()) << bad;
  }
}

}  // namespace
}  // namespace inferd::pipelines
