#include "api/tool_calls.h"

#include <string>

#include "api/openai_request.h"
#include "api/openai_response.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "text/grammar_matcher.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

constexpr char kTools[] = R"("tools": [
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
     "properties": {"city": {"type": "string"}, "unit": {"enum": ["C", "F"]}}, "required": ["city"],
     "additionalProperties": false}}},
  {"type": "function", "function": {"name": "now"}}])";

absl::StatusOr<OpenAiRequest> Chat(const std::string& extra) {
  return DecodeChatRequest(std::string(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}], )") +
                           kTools + extra + "}");
}

bool Matches(const std::shared_ptr<const text::Grammar>& g, std::string_view text) {
  text::GrammarMatcher m(g);
  auto s = m.AdvanceBytes(m.start(), text);
  return s != text::GrammarMatcher::kDead && m.IsAccepting(s);
}

TEST(ToolCallsTest, AutoParsesCallsWithoutAGrammar) {
  auto r = Chat("");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->tools.parse);
  EXPECT_EQ(r->tools.names, (std::vector<std::string>{"get_weather", "now"}));
  EXPECT_EQ(r->choices[0].grammar, nullptr);
  auto none = Chat(R"(, "tool_choice": "none")");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->tools.parse);
}

TEST(ToolCallsTest, RequiredAndNamedChoicesConstrainTheAnswer) {
  auto required = Chat(R"(, "tool_choice": "required")");
  ASSERT_TRUE(required.ok()) << required.status();
  const auto& g = required->choices[0].grammar;
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(Matches(g, R"({"name": "get_weather", "arguments": {"city": "Oslo", "unit": "C"}})"));
  EXPECT_TRUE(Matches(g, R"({"name": "now", "arguments": {}})"));
  EXPECT_FALSE(Matches(g, R"({"name": "get_weather", "arguments": {"unit": "C"}})"));  // city required
  EXPECT_FALSE(Matches(g, R"({"name": "other", "arguments": {}})"));
  // Models taught the Qwen/Hermes syntax write the call in its tags.
  std::shared_ptr<const text::Grammar> grammar = required->choices[0].grammar;
  UseTemplateSyntax(required->tools, "{{ bos_token }}", &grammar);
  EXPECT_EQ(grammar, required->choices[0].grammar);
  UseTemplateSyntax(required->tools, "... <tool_call>\n{{ call | tojson }}\n</tool_call> ...", &grammar);
  EXPECT_TRUE(Matches(grammar, "<tool_call>\n{\"name\": \"now\", \"arguments\": {}}\n</tool_call>"));
  EXPECT_FALSE(Matches(grammar, R"({"name": "now", "arguments": {}})"));
  auto named = Chat(R"(, "tool_choice": {"type": "function", "function": {"name": "now"}})");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_TRUE(Matches(named->choices[0].grammar, R"({"name": "now", "arguments": {}})"));
  EXPECT_FALSE(Matches(named->choices[0].grammar, R"({"name": "get_weather", "arguments": {"city": "x"}})"));
}

TEST(ToolCallsTest, BadToolsAndChoicesAreNamed) {
  auto msg = [](const std::string& body) {
    auto r = DecodeChatRequest(body);
    EXPECT_FALSE(r.ok()) << body;
    return r.ok() ? std::string() : std::string(r.status().message());
  };
  const std::string head = R"({"model": "m", "messages": [{"role": "user", "content": "hi"}], )";
  EXPECT_THAT(msg(head + R"("tools": [{"type": "function", "function": {"parameters": {}}}]})"),
              HasSubstr("tools[0].function.name: is required"));
  EXPECT_THAT(msg(head + R"("tools": [{"type": "function", "function": {"name": ""}}]})"),
              HasSubstr("tools[0].function.name"));
  // Even when no call is forced: the schema goes to the chat template.
  EXPECT_THAT(msg(head + R"("tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}]})"),
              HasSubstr("tools[0].function.parameters: must be a JSON schema (an object)"));
  EXPECT_THAT(msg(head + kTools + R"(, "tool_choice": {"type": "function", "function": {"name": "nope"}}})"),
              HasSubstr("tool_choice.function.name: \"nope\" is not one of the request's tools"));
  EXPECT_THAT(msg(head + kTools + R"(, "tool_choice": "always"})"), HasSubstr("tool_choice: must be"));
  EXPECT_THAT(msg(head + R"("tool_choice": "required"})"), HasSubstr("tool_choice: \"required\" needs tools"));
  EXPECT_THAT(msg(head + R"("tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "not": {}}}}],
                             "tool_choice": "required"})"),
              HasSubstr("unsupported keyword \"not\""));
}

TEST(ToolCallsTest, ParsesEachFamilysSyntax) {
  const std::vector<std::string> names = {"get_weather", "now"};
  auto qwen = ParseToolCalls("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>\n"
                             "<tool_call>{\"name\": \"now\", \"arguments\": {}}</tool_call>", names);
  ASSERT_TRUE(qwen);
  ASSERT_EQ(qwen->size(), 2u);
  EXPECT_EQ((*qwen)[0].name, "get_weather");
  EXPECT_EQ(json::parse((*qwen)[0].arguments), json::parse(R"({"city": "Oslo"})"));
  EXPECT_EQ((*qwen)[1].name, "now");
  auto llama = ParseToolCalls(R"( {"name": "get_weather", "parameters": {"city": "Rome"}} )", names);
  ASSERT_TRUE(llama);
  EXPECT_EQ(json::parse((*llama)[0].arguments), json::parse(R"({"city": "Rome"})"));
  auto mistral = ParseToolCalls(R"([TOOL_CALLS] [{"name": "now", "arguments": {}}])", names);
  ASSERT_TRUE(mistral);
  EXPECT_EQ((*mistral)[0].name, "now");
  auto generic = ParseToolCalls(R"({"name": "now", "arguments": "{\"tz\": \"UTC\"}"})", names);
  ASSERT_TRUE(generic);
  EXPECT_EQ((*generic)[0].arguments, R"({"tz": "UTC"})");
  // Not calls: prose, unknown functions, broken JSON.
  EXPECT_FALSE(ParseToolCalls("The weather is fine.", names));
  EXPECT_FALSE(ParseToolCalls(R"({"name": "rm_rf", "arguments": {}})", names));
  EXPECT_FALSE(ParseToolCalls(R"(<tool_call>{"name": "now", </tool_call>)", names));
  EXPECT_FALSE(ParseToolCalls(R"({"city": "Oslo"})", names));
}

TEST(ToolCallsTest, ResponseCarriesToolCalls) {
  ToolChoice tools;
  tools.names = {"now"};
  tools.parse = true;
  GenerateResult call{.text = R"({"name": "now", "arguments": {}})", .finish_reason = "stop"};
  GenerateResult prose{.text = "hello", .finish_reason = "stop"};
  const openai::ResponseHeader header{true, "chatcmpl-x", 1, "m"};
  const json::value body = json::parse(openai::CompletionBody(header, {call, prose}, 1, false, &tools));
  const json::value& first = body.at("choices").at(0);
  EXPECT_EQ(first.at("finish_reason"), "tool_calls");
  EXPECT_TRUE(first.at("message").at("content").is_null());
  const json::value& tc = first.at("message").at("tool_calls").at(0);
  EXPECT_EQ(tc.at("type"), "function");
  EXPECT_EQ(tc.at("function").at("name"), "now");
  EXPECT_EQ(tc.at("function").at("arguments"), "{}");
  EXPECT_THAT(std::string(tc.at("id").as_string()), ::testing::StartsWith("call_"));
  const json::value& second = body.at("choices").at(1);
  EXPECT_EQ(second.at("finish_reason"), "stop");
  EXPECT_EQ(second.at("message").at("content"), "hello");
}

}  // namespace
}  // namespace inferd
