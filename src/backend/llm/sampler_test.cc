#include "backend/llm/sampler.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

TEST(SamplerTest, GreedyPicksArgmax) {
  SamplingParams p;
  p.temperature = 0;
  Sampler s(p, 4);
  std::vector<float> logits = {0.1f, 3.0f, 2.9f, -1.0f};
  EXPECT_EQ(s.Sample(logits.data()), 1);
}

TEST(SamplerTest, LogitBiasComesFirstAndIgnoresIdsOutsideTheVocabulary) {
  SamplingParams p;
  p.temperature = 0;
  p.logit_bias = {{0, 5.0f}, {7, 100.0f}, {-1, 100.0f}};
  Sampler s(p, 3);
  std::vector<float> logits = {0.0f, 3.0f, 2.0f};
  EXPECT_EQ(s.Sample(logits.data()), 0);
  EXPECT_FLOAT_EQ(logits[0], 5.0f);
  p.logit_bias = {{1, -100.0f}};  // OpenAI's "ban this token"
  Sampler ban(p, 3);
  logits = {0.0f, 3.0f, 2.0f};
  EXPECT_EQ(ban.Sample(logits.data()), 2);
}

TEST(SamplerTest, NanLogitBiasIsRefusedNamingTheField) {
  SamplingParams p;
  p.logit_bias = {{3, std::nanf("")}};
  absl::Status s = ValidateSamplingParams(p);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("logit_bias"), std::string::npos);
}

TEST(SamplerTest, TokenLogprobsAreLogSoftmaxWithTheBestFirst) {
  const std::vector<float> logits = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f};
  double sum = 0;
  for (float l : logits) sum += std::exp(l);
  std::vector<TokenLogprob> top;
  const float chosen = TokenLogprobs(logits.data(), 5, 2, 3, &top);
  EXPECT_NEAR(chosen, 2.0 - std::log(sum), 1e-5);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].token, 1);  // ties broken by id
  EXPECT_EQ(top[1].token, 3);
  EXPECT_EQ(top[2].token, 2);
  EXPECT_NEAR(top[0].logprob, 3.0 - std::log(sum), 1e-5);
  double total = 0;
  for (int i = 0; i < 5; ++i) {
    std::vector<TokenLogprob> none;
    total += std::exp(TokenLogprobs(logits.data(), 5, i, 0, &none));
    EXPECT_TRUE(none.empty());
  }
  EXPECT_NEAR(total, 1.0, 1e-5);
  TokenLogprobs(logits.data(), 5, 0, 50, &top);  // k above the vocabulary
  EXPECT_EQ(top.size(), 5u);
}

TEST(SamplerTest, RepeatPenaltyDemotesSeenTokens) {
  SamplingParams p;
  p.temperature = 0;
  p.repeat_penalty = 2.0f;
  Sampler s(p, 3);
  s.Accept(1);
  std::vector<float> logits = {0.0f, 3.0f, 2.0f};
  EXPECT_EQ(s.Sample(logits.data()), 2);  // 3 / 2 = 1.5 < 2
  EXPECT_FLOAT_EQ(logits[1], 1.5f);
}

TEST(SamplerTest, PresenceAndFrequencyPenalties) {
  SamplingParams p;
  p.temperature = 0;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 1.0f;
  Sampler s(p, 3);
  s.Accept(0);
  s.Accept(0);
  std::vector<float> logits = {5.0f, 0.0f, 0.0f};
  s.Sample(logits.data());
  EXPECT_FLOAT_EQ(logits[0], 5.0f - 2 * 1.0f - 0.5f);
}

TEST(SamplerTest, PenaltyWindowForgetsOldTokens) {
  SamplingParams p;
  p.temperature = 0;
  p.frequency_penalty = 10.0f;
  p.repeat_last_n = 2;
  Sampler s(p, 3);
  s.Accept(0);
  s.Accept(1);
  s.Accept(2);  // 0 leaves the window
  std::vector<float> logits = {1.0f, 0.0f, 0.0f};
  EXPECT_EQ(s.Sample(logits.data()), 0);
}

TEST(SamplerTest, TopKOneIsGreedy) {
  SamplingParams p;
  p.temperature = 1.5f;
  p.top_k = 1;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    p.seed = seed;
    Sampler s(p, 4);
    std::vector<float> logits = {1.0f, 1.1f, 0.9f, 1.05f};
    EXPECT_EQ(s.Sample(logits.data()), 1);
  }
}

TEST(SamplerTest, TopPKeepsNucleusOnly) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 0.5f;
  p.min_p = 0;
  std::map<int, int> seen;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    p.seed = seed;
    Sampler s(p, 3);
    // probabilities ~ 0.665, 0.245, 0.09: nucleus 0.5 keeps token 0 only.
    std::vector<float> logits = {2.0f, 1.0f, 0.0f};
    ++seen[s.Sample(logits.data())];
  }
  EXPECT_EQ(seen[0], 200);
}

TEST(SamplerTest, MinPDropsUnlikelyTokens) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.2f;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    p.seed = seed;
    Sampler s(p, 3);
    std::vector<float> logits = {2.0f, 1.9f, -3.0f};  // last: p/pmax < 0.2
    EXPECT_NE(s.Sample(logits.data()), 2);
  }
}

TEST(SamplerTest, SameSeedSameChoicesAndDistributionFollowsTemperature) {
  SamplingParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0;
  p.seed = 42;
  Sampler a(p, 2), b(p, 2);
  int ones = 0;
  for (int i = 0; i < 4000; ++i) {
    std::vector<float> la = {0.0f, 1.0f}, lb = {0.0f, 1.0f};
    const int32_t x = a.Sample(la.data());
    EXPECT_EQ(x, b.Sample(lb.data()));
    ones += x;
  }
  // P(1) = e / (1 + e) = 0.731
  EXPECT_NEAR(ones / 4000.0, 0.731, 0.03);
}

TEST(SamplerTest, ValidationNamesTheField) {
  SamplingParams p;
  p.top_p = 0;
  EXPECT_NE(ValidateSamplingParams(p).message().find("top_p"),
            std::string::npos);
  p = SamplingParams();
  p.temperature = -1;
  EXPECT_FALSE(ValidateSamplingParams(p).ok());
  EXPECT_TRUE(ValidateSamplingParams(SamplingParams()).ok());
}

}  // namespace
}  // namespace inferd::llm
