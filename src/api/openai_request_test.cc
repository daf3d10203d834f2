#include "api/openai_request.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

std::string ChatError(const std::string& fields) {
  auto r = DecodeChatRequest(R"({"model": "m", )" + fields + "}");
  EXPECT_FALSE(r.ok()) << fields;
  return r.ok() ? "" : std::string(r.status().message());
}

std::string WithAssistantCalls(const std::string& calls) {
  return R"("messages": [{"role": "user", "content": "hi"},
                         {"role": "assistant", "content": null, "tool_calls": )" +
         calls + "}]";
}

TEST(OpenAiRequestTest, AssistantToolCallsAreCheckedFieldByField) {
  auto ok = DecodeChatRequest(R"({"model": "m", )" +
                              WithAssistantCalls(R"([{"id": "c1", "type": "function",
                                  "function": {"name": "f", "arguments": "{\"a\": 1}"}}])") +
                              "}");
  EXPECT_TRUE(ok.ok()) << ok.status();
  EXPECT_THAT(ChatError(WithAssistantCalls("5")), HasSubstr("messages[1].tool_calls: must be an array"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([5, "x", null])")),
              HasSubstr("messages[1].tool_calls[0]: must be an object"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([{"function": 5}])")),
              HasSubstr("messages[1].tool_calls[0].function: is required"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([{"id": "1"}])")),
              HasSubstr("messages[1].tool_calls[0].function: is required"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([{"function": {"name": 7, "arguments": "{}"}}])")),
              HasSubstr("messages[1].tool_calls[0].function.name: is required"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([{"function": {"name": "f"}}])")),
              HasSubstr("messages[1].tool_calls[0].function.arguments: is required"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([{"id": 3, "function": {"name": "f", "arguments": "{}"}}])")),
              HasSubstr("messages[1].tool_calls[0].id: must be a string"));
}

TEST(OpenAiRequestTest, TextThatReachesTheChatTemplateMustBeUtf8) {
  const std::string bad = "\xff";
  EXPECT_THAT(ChatError(R"("messages": [{"role": "user", "content": "hi", "name": ")" + bad + R"("}])"),
              HasSubstr("messages[0].name: not valid UTF-8"));
  EXPECT_THAT(ChatError(R"("messages": [{"role": "tool", "content": "1", "tool_call_id": ")" + bad +
                        R"("}])"),
              HasSubstr("messages[0].tool_call_id: not valid UTF-8"));
  EXPECT_THAT(ChatError(WithAssistantCalls(R"([{"function": {"name": "f", "arguments": ")" + bad +
                                           R"("}}])")),
              HasSubstr("messages[1].tool_calls[0].function.arguments: not valid UTF-8"));
  EXPECT_THAT(ChatError(R"("messages": [{"role": "user", "content": "hi"}],
                           "tools": [{"type": "function", "function": {"name": "f)" + bad + R"("}}])"),
              HasSubstr("tools[0].function.name: not valid UTF-8"));
  EXPECT_THAT(ChatError(R"("messages": [{"role": "user", "content": "hi"}],
                           "chat_template_kwargs": {"k": [")" + bad + R"("]})"),
              HasSubstr("chat_template_kwargs.k[0]: not valid UTF-8"));
}

TEST(OpenAiRequestTest, IgnoredAndUnsupportedFieldsAreStillTyped) {
  const std::string msgs = R"("messages": [{"role": "user", "content": "hi"}], )";
  EXPECT_THAT(ChatError(msgs + R"("user": 5)"), HasSubstr("user: must be a string"));
  EXPECT_THAT(ChatError(msgs + R"("parallel_tool_calls": "yes")"),
              HasSubstr("parallel_tool_calls: must be true or false"));
  EXPECT_THAT(ChatError(msgs + R"("best_of": 0)"), HasSubstr("best_of: 0: only 1 is supported"));
  EXPECT_THAT(ChatError(msgs + R"("best_of": -3)"), HasSubstr("best_of: -3"));
  EXPECT_THAT(ChatError(msgs + R"("logit_bias": {" 1": 5})"),
              HasSubstr("logit_bias: key \" 1\" is not a token id"));
  auto ok = DecodeChatRequest(R"({"model": "m", )" + msgs +
                              R"("user": "u1", "parallel_tool_calls": false, "best_of": 1,
                                 "logit_bias": {"15": -100}})");
  EXPECT_TRUE(ok.ok()) << ok.status();
}

TEST(OpenAiRequestTest, EachPromptOfAListIsNamedByItsIndex) {
  auto r = DecodeCompletionRequest(R"({"model": "m", "prompt": [[1, 2], [99999999]]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->choices.size(), 2u);
  EXPECT_EQ(r->choices[0].prompt_field, "prompt[0]");
  EXPECT_EQ(r->choices[1].prompt_field, "prompt[1]");
  auto one = DecodeCompletionRequest(R"({"model": "m", "prompt": [1, 2]})");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->choices[0].prompt_field, "prompt");
}

}  // namespace
}  // namespace inferd
