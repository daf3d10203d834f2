#include "pipelines/task/entity_grouping.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::FloatNear;
using ::testing::HasSubstr;

const std::vector<std::string> kLabels = {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"};
const std::vector<std::string> kIgnore = {"O"};

// Probabilities that give `label` the score `p` and share the rest.
std::vector<float> Probs(size_t label, float p) {
  std::vector<float> out(kLabels.size(), (1 - p) / (kLabels.size() - 1));
  out[label] = p;
  return out;
}

// "Marg ##are Lind works in Buen ##os": Margare Lind (a person) works in
// Buenos (a place); the model is unsure about "##os" (B-PER 0.5, I-LOC 0.4).
std::vector<TokenScores> Sentence() {
  std::vector<float> unsure = {0.05f, 0.5f, 0.0f, 0.05f, 0.4f};
  return {
      {1, {0, 4}, false, Probs(1, 0.9f)},    // Marg   B-PER
      {2, {4, 7}, true, Probs(2, 0.8f)},     // ##are  I-PER
      {3, {8, 12}, false, Probs(2, 0.7f)},   // Lind   I-PER
      {4, {13, 18}, false, Probs(0, 0.99f)}, // works  O
      {5, {19, 21}, false, Probs(0, 0.98f)}, // in     O
      {6, {22, 26}, false, Probs(3, 0.9f)},  // Buen   B-LOC
      {7, {26, 28}, true, unsure},           // ##os
  };
}

TEST(EntityGroupingTest, NoneListsEveryTokenThatIsNotO) {
  auto entities = GroupEntities(Sentence(), kLabels, Aggregation::kNone, kIgnore);
  ASSERT_TRUE(entities.ok()) << entities.status();
  ASSERT_EQ(entities->size(), 5u);
  EXPECT_EQ((*entities)[0].label, "B-PER");
  EXPECT_EQ((*entities)[0].index, 1);
  EXPECT_NEAR((*entities)[0].score, 0.9, 1e-6);
  EXPECT_EQ((*entities)[3].label, "B-LOC");
  EXPECT_EQ((*entities)[4].label, "B-PER");  // ##os alone
  EXPECT_EQ((*entities)[4].index, 7);
  EXPECT_EQ((*entities)[4].span, (text::Span{26, 28}));
}

TEST(EntityGroupingTest, SimpleMergesContinuingTagsAndSplitsOnB) {
  auto entities = GroupEntities(Sentence(), kLabels, Aggregation::kSimple, kIgnore);
  ASSERT_TRUE(entities.ok());
  ASSERT_EQ(entities->size(), 3u);
  EXPECT_EQ((*entities)[0].label, "PER");
  EXPECT_EQ((*entities)[0].span, (text::Span{0, 12}));
  EXPECT_NEAR((*entities)[0].score, (0.9 + 0.8 + 0.7) / 3, 1e-6);
  EXPECT_EQ((*entities)[1].label, "LOC");
  EXPECT_EQ((*entities)[1].span, (text::Span{22, 26}));
  // The unsure "##os" starts a person of its own: simple ignores words.
  EXPECT_EQ((*entities)[2].label, "PER");
  EXPECT_EQ((*entities)[2].span, (text::Span{26, 28}));
}

TEST(EntityGroupingTest, FirstLabelsWordsByTheirFirstToken) {
  auto entities = GroupEntities(Sentence(), kLabels, Aggregation::kFirst, kIgnore);
  ASSERT_TRUE(entities.ok());
  ASSERT_EQ(entities->size(), 2u);
  EXPECT_EQ((*entities)[0].label, "PER");
  EXPECT_EQ((*entities)[0].span, (text::Span{0, 12}));
  // Words: Margare (B-PER 0.9 from "Marg"), Lind (I-PER 0.7).
  EXPECT_NEAR((*entities)[0].score, (0.9 + 0.7) / 2, 1e-6);
  EXPECT_EQ((*entities)[1].label, "LOC");
  EXPECT_EQ((*entities)[1].span, (text::Span{22, 28}));
  EXPECT_NEAR((*entities)[1].score, 0.9, 1e-6);
}

TEST(EntityGroupingTest, AverageLabelsWordsByMeanProbabilities) {
  auto entities = GroupEntities(Sentence(), kLabels, Aggregation::kAverage, kIgnore);
  ASSERT_TRUE(entities.ok());
  ASSERT_EQ(entities->size(), 2u);
  // Buenos: B-LOC (0.9 + 0.05) / 2 = 0.475 beats B-PER (0.025 + 0.5) / 2.
  EXPECT_EQ((*entities)[1].label, "LOC");
  EXPECT_NEAR((*entities)[1].score, 0.475, 1e-6);
  // Margare: B-PER (0.9 + 0.05) / 2 = 0.475 beats I-PER (0.025 + 0.8) / 2.
  EXPECT_NEAR((*entities)[0].score, (0.475 + 0.7) / 2, 1e-6);
}

TEST(EntityGroupingTest, MaxTakesTheMostConfidentToken) {
  // Make "##os" very sure of B-PER: under max the word Buenos becomes B-PER.
  std::vector<TokenScores> tokens = Sentence();
  tokens[6].probabilities = Probs(1, 0.95f);
  auto entities = GroupEntities(tokens, kLabels, Aggregation::kMax, kIgnore);
  ASSERT_TRUE(entities.ok());
  ASSERT_EQ(entities->size(), 2u);
  EXPECT_EQ((*entities)[1].label, "PER");
  EXPECT_EQ((*entities)[1].span, (text::Span{22, 28}));
  EXPECT_NEAR((*entities)[1].score, 0.95, 1e-6);
}

TEST(EntityGroupingTest, IAfterOStartsANewGroupAndPlainLabelsMerge) {
  const std::vector<std::string> labels = {"O", "I-PER", "MISC"};
  std::vector<TokenScores> tokens = {
      {1, {0, 1}, false, {0.9f, 0.1f, 0.0f}},  // O
      {2, {2, 3}, false, {0.1f, 0.9f, 0.0f}},  // I-PER
      {3, {4, 5}, false, {0.0f, 0.1f, 0.9f}},  // MISC
      {4, {6, 7}, false, {0.0f, 0.2f, 0.8f}},  // MISC
  };
  auto entities = GroupEntities(tokens, labels, Aggregation::kSimple, {"O"});
  ASSERT_TRUE(entities.ok());
  ASSERT_EQ(entities->size(), 2u);
  EXPECT_EQ((*entities)[0].label, "PER");
  EXPECT_EQ((*entities)[1].label, "MISC");
  EXPECT_EQ((*entities)[1].span, (text::Span{4, 7}));
  EXPECT_NEAR((*entities)[1].score, 0.85, 1e-6);
}

TEST(EntityGroupingTest, EmptyInputGivesNoEntities) {
  auto entities = GroupEntities({}, kLabels, Aggregation::kAverage, kIgnore);
  ASSERT_TRUE(entities.ok());
  EXPECT_TRUE(entities->empty());
}

TEST(EntityGroupingTest, ScoreCountMustMatchLabels) {
  std::vector<TokenScores> tokens = {{1, {0, 1}, false, {0.5f, 0.5f}}};
  auto entities = GroupEntities(tokens, kLabels, Aggregation::kSimple, kIgnore);
  ASSERT_FALSE(entities.ok());
  EXPECT_THAT(entities.status().message(), HasSubstr("2 scores for 5 labels"));
}

TEST(EntityGroupingTest, ParsesStrategies) {
  EXPECT_EQ(*ParseAggregation("average"), Aggregation::kAverage);
  auto bad = ParseAggregation("longest");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("none, simple, first, average, max"));
}

TEST(EntityGroupingTest, SoftmaxSumsToOneAndKeepsOrder) {
  const float logits[] = {1000.0f, 1001.0f, 999.0f};
  std::vector<float> p = Softmax(logits, 3);
  EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-6);
  EXPECT_THAT(p, ElementsAre(FloatNear(0.2447f, 1e-4f), FloatNear(0.6652f, 1e-4f),
                             FloatNear(0.0900f, 1e-4f)));
}

}  // namespace
}  // namespace inferd::pipelines
