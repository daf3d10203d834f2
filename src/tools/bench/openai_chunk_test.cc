#include "tools/bench/openai_chunk.h"

#include <string>

#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

OpenAiChunk Parse(const std::string& data) {
  absl::StatusOr<OpenAiChunk> chunk = ParseOpenAiChunk(data);
  EXPECT_TRUE(chunk.ok()) << chunk.status();
  return chunk.ok() ? *chunk : OpenAiChunk();
}

TEST(OpenAiChunkTest, CompletionTextIsGeneratedText) {
  OpenAiChunk c = Parse(
      R"({"id":"x","object":"text_completion","choices":[{"text":" t123",)"
      R"("index":0,"logprobs":null,"finish_reason":null}],"usage":null})");
  EXPECT_EQ(c.text_choices, 1);
  EXPECT_FALSE(c.done);
  EXPECT_EQ(c.completion_tokens, -1);
  EXPECT_EQ(c.finish_reason, "");
  EXPECT_EQ(c.error, "");
}

TEST(OpenAiChunkTest, ChatRoleOnlyDeltaIsNotText) {
  EXPECT_EQ(Parse(R"({"choices":[{"index":0,"delta":{"role":"assistant"},)"
                  R"("finish_reason":null}]})")
                .text_choices,
            0);
  EXPECT_EQ(
      Parse(R"({"choices":[{"index":0,"delta":{"content":""}}]})").text_choices,
      0);
  EXPECT_EQ(Parse(R"({"choices":[{"index":0,"delta":{"content":null}}]})")
                .text_choices,
            0);
  EXPECT_EQ(Parse(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})")
                .text_choices,
            1);
}

TEST(OpenAiChunkTest, UsageInALastChunkWithoutChoices) {
  // OpenAI and inferd with stream_options.include_usage.
  OpenAiChunk c = Parse(
      R"({"choices":[],"usage":{"prompt_tokens":131,"completion_tokens":128,)"
      R"("total_tokens":259}})");
  EXPECT_EQ(c.text_choices, 0);
  EXPECT_EQ(c.prompt_tokens, 131);
  EXPECT_EQ(c.completion_tokens, 128);
}

TEST(OpenAiChunkTest, UsageBesideTheFinishReason) {
  // llama-server's last chunk of /v1/completions.
  OpenAiChunk c = Parse(
      R"({"choices":[{"text":"","index":0,"logprobs":null,)"
      R"("finish_reason":"length"}],"usage":{"completion_tokens":16,)"
      R"("prompt_tokens":9,"total_tokens":25},"timings":{"predicted_n":16}})");
  EXPECT_EQ(c.text_choices, 0);
  EXPECT_EQ(c.finish_reason, "length");
  EXPECT_EQ(c.completion_tokens, 16);
  EXPECT_EQ(c.prompt_tokens, 9);
}

TEST(OpenAiChunkTest, ErrorObjectsAndStrings) {
  EXPECT_EQ(Parse(R"({"error":{"message":"model is gone","type":"x"}})").error,
            "model is gone");
  EXPECT_EQ(Parse(R"({"error":"out of memory"})").error, "out of memory");
  EXPECT_EQ(Parse(R"({"error":{"code":500}})").error, R"({"code":500})");
  EXPECT_EQ(Parse(R"({"error":null,"choices":[]})").error, "");
}

TEST(OpenAiChunkTest, ErrorEventMessage) {
  EXPECT_EQ(StreamErrorMessage(
                R"({"code":500,"message":"Input prompt is too big compared )"
                R"(to KV size.","type":"server_error"})"),
            "Input prompt is too big compared to KV size.");
  EXPECT_EQ(StreamErrorMessage(R"({"code":500})"), R"({"code":500})");
  EXPECT_EQ(StreamErrorMessage("out of memory"), "out of memory");
  EXPECT_EQ(StreamErrorMessage(""), "(empty error event)");
  EXPECT_LT(StreamErrorMessage(std::string(500, 'x')).size(), 200u);
}

TEST(OpenAiChunkTest, DoneSentinel) { EXPECT_TRUE(Parse("[DONE]").done); }

TEST(OpenAiChunkTest, RefusesWhatIsNotAJsonObject) {
  for (const char* bad : {"", "hello", "[1,2]", "{\"a\":", "\"[DONE]\""}) {
    absl::StatusOr<OpenAiChunk> c = ParseOpenAiChunk(bad);
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  absl::StatusOr<OpenAiChunk> c = ParseOpenAiChunk(std::string(500, 'x'));
  ASSERT_FALSE(c.ok());
  EXPECT_LT(c.status().message().size(), 200u) << "quotes only the start";
}

}  // namespace
}  // namespace inferd::bench
