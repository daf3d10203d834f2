#include "tools/bench/completion_requests.h"

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

CompletionRequestOptions Options() {
  CompletionRequestOptions o;
  o.model = "bench-0.5b-f16";
  o.target = "/v1/completions";
  o.prompt_tokens = 16;
  o.max_tokens = 32;
  return o;
}

json::object BodyOf(const CompletionRequests& r, int64_t index) {
  return json::parse(r.Body(index)).as_object();
}

size_t Words(const std::string& text) {
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (c == ' ') {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

TEST(CompletionRequestsTest, CompletionsBodyAsksForAGreedyForcedStream) {
  auto r = CompletionRequests::Create(Options());
  ASSERT_TRUE(r.ok()) << r.status();
  json::object body = BodyOf(*r, 0);
  EXPECT_EQ(body.at("model").as_string(), "bench-0.5b-f16");
  EXPECT_EQ(Words(std::string(body.at("prompt").as_string())), 16u);
  EXPECT_EQ(body.at("max_tokens").to_number<int>(), 32);
  EXPECT_EQ(body.at("temperature").to_number<double>(), 0.0);
  EXPECT_TRUE(body.at("ignore_eos").as_bool());
  EXPECT_TRUE(body.at("stream").as_bool());
  EXPECT_TRUE(body.at("stream_options").at("include_usage").as_bool());
  EXPECT_FALSE(body.contains("messages"));
  EXPECT_EQ(json::parse(r->Body(0, 4)).at("max_tokens").to_number<int>(), 4);
  EXPECT_EQ(r->target(), "/v1/completions");
}

TEST(CompletionRequestsTest, ChatBodyHasOneUserMessage) {
  CompletionRequestOptions o = Options();
  o.chat = true;
  auto r = CompletionRequests::Create(o);
  ASSERT_TRUE(r.ok()) << r.status();
  json::object body = BodyOf(*r, 3);
  EXPECT_FALSE(body.contains("prompt"));
  const json::array& messages = body.at("messages").as_array();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].at("role").as_string(), "user");
  EXPECT_EQ(Words(std::string(messages[0].at("content").as_string())), 16u);
}

TEST(CompletionRequestsTest, PromptsDifferByRequestAndRepeatByNumber) {
  auto r = CompletionRequests::Create(Options());
  ASSERT_TRUE(r.ok());
  std::set<std::string> prompts;
  for (int64_t i = -1; i < 50; ++i) {
    prompts.insert(std::string(BodyOf(*r, i).at("prompt").as_string()));
  }
  EXPECT_EQ(prompts.size(), 51u);
  auto again = CompletionRequests::Create(Options());
  EXPECT_EQ(again->Body(7), r->Body(7));
  CompletionRequestOptions other_seed = Options();
  other_seed.seed = 2;
  EXPECT_NE(CompletionRequests::Create(other_seed)->Body(7), r->Body(7));
}

TEST(CompletionRequestsTest, TokenIdPromptsHaveExactLengthInRange) {
  CompletionRequestOptions o = Options();
  o.prompt_tokens = 128;
  o.token_id_low = 259;
  o.token_id_high = 300;
  auto r = CompletionRequests::Create(o);
  ASSERT_TRUE(r.ok()) << r.status();
  const json::object body = BodyOf(*r, 5);
  const json::array& ids = body.at("prompt").as_array();
  ASSERT_EQ(ids.size(), 128u);
  std::set<int64_t> seen;
  for (const json::value& id : ids) {
    const int64_t v = id.as_int64();
    EXPECT_GE(v, 259);
    EXPECT_LT(v, 300);
    seen.insert(v);
  }
  EXPECT_GT(seen.size(), 20u) << "drawn, not constant";
  EXPECT_NE(r->description().find("token ids in [259, 300)"),
            std::string::npos);
}

TEST(CompletionRequestsTest, IgnoreEosCanBeLeftOut) {
  CompletionRequestOptions o = Options();
  o.ignore_eos = false;
  auto r = CompletionRequests::Create(o);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(BodyOf(*r, 0).contains("ignore_eos"));
}

TEST(CompletionRequestsTest, WordsComeFromTheGivenList) {
  CompletionRequestOptions o = Options();
  o.words = {"alpha", "beta"};
  auto r = CompletionRequests::Create(o);
  ASSERT_TRUE(r.ok());
  const std::string prompt(BodyOf(*r, 0).at("prompt").as_string());
  std::string rest = prompt;
  for (const char* w : {"alpha", "beta", " "}) {
    for (size_t at; (at = rest.find(w)) != std::string::npos;) {
      rest.erase(at, std::string(w).size());
    }
  }
  EXPECT_EQ(rest, "") << prompt;
}

TEST(CompletionRequestsTest, RefusesBadLengthsAndRanges) {
  CompletionRequestOptions o = Options();
  o.prompt_tokens = 0;
  EXPECT_NE(
      CompletionRequests::Create(o).status().message().find("--prompt-tokens"),
      std::string::npos);
  o = Options();
  o.max_tokens = 0;
  EXPECT_NE(
      CompletionRequests::Create(o).status().message().find("--max-tokens"),
      std::string::npos);
  o = Options();
  o.token_id_low = 10;
  o.token_id_high = 10;
  EXPECT_NE(
      CompletionRequests::Create(o).status().message().find("--token-id-range"),
      std::string::npos);
  o = Options();
  o.chat = true;
  o.token_id_low = 1;
  o.token_id_high = 10;
  absl::Status chat = CompletionRequests::Create(o).status();
  EXPECT_EQ(chat.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(chat.message().find("--route completions"), std::string::npos);
}

TEST(CompletionRequestsTest, ReadsPromptWordsFromAFile) {
  const std::string path = ::testing::TempDir() + "/prompt_words.txt";
  {
    std::ofstream out(path);
    out << "  The quick\nbrown\tfox  \n";
  }
  auto words = ReadPromptWords(path);
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_EQ(*words, (std::vector<std::string>{"The", "quick", "brown", "fox"}));
  {
    std::ofstream out(path);
    out << " \n\t\n";
  }
  EXPECT_NE(ReadPromptWords(path).status().message().find("holds no words"),
            std::string::npos);
  std::remove(path.c_str());
  EXPECT_NE(ReadPromptWords(path).status().message().find("cannot read"),
            std::string::npos);
}

}  // namespace
}  // namespace inferd::bench
