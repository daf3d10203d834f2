#include "api/structured_output.h"

#include <string>

#include "api/generate_api.h"
#include "api/ollama_request.h"
#include "api/openai_request.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "text/grammar_matcher.h"

namespace inferd {
namespace {

using ::testing::StartsWith;

bool Matches(const GrammarPtr& g, std::string_view text) {
  text::GrammarMatcher m(g);
  auto s = m.AdvanceBytes(m.start(), text);
  return s != text::GrammarMatcher::kDead && m.IsAccepting(s);
}

template <typename T>
std::string Refusal(const absl::StatusOr<T>& decoded) {
  EXPECT_FALSE(decoded.ok()) << "accepted";
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
  return std::string(decoded.status().message());
}

TEST(StructuredOutputTest, OpenAiResponseFormatBecomesTheChoicesGrammar) {
  auto request = DecodeChatRequest(R"({"model": "m", "n": 2, "messages": [{"role": "user", "content": "hi"}],
      "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
        "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
                   "additionalProperties": false}}}})");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->choices.size(), 2u);
  for (const GenerateInput& choice : request->choices) {
    ASSERT_NE(choice.grammar, nullptr);
    EXPECT_TRUE(Matches(choice.grammar, R"({"ok": true})"));
    EXPECT_FALSE(Matches(choice.grammar, R"({"ok": 1})"));
  }
  auto json_mode = DecodeCompletionRequest(R"({"model": "m", "prompt": "x", "response_format": {"type": "json_object"}})");
  ASSERT_TRUE(json_mode.ok()) << json_mode.status();
  EXPECT_TRUE(Matches(json_mode->choices[0].grammar, R"({"a": [1, null]})"));
  EXPECT_FALSE(Matches(json_mode->choices[0].grammar, "[1]"));
  auto text = DecodeCompletionRequest(R"({"model": "m", "prompt": "x", "response_format": {"type": "text"}})");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->choices[0].grammar, nullptr);
  auto grammar = DecodeCompletionRequest(R"({"model": "m", "prompt": "x", "grammar": "root ::= \"yes\" | \"no\""})");
  ASSERT_TRUE(grammar.ok()) << grammar.status();
  EXPECT_TRUE(Matches(grammar->choices[0].grammar, "no"));
}

TEST(StructuredOutputTest, OpenAiBadConstraintsAreNamed) {
  const struct {
    const char* extra;
    const char* message;
  } cases[] = {
      {R"("response_format": {"type": "xml"})", "response_format.type: \"xml\" is not supported"},
      {R"("response_format": "json")", "response_format: must be an object with a type"},
      {R"("response_format": {"type": "json_schema"})", "response_format.json_schema: is required"},
      {R"("response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "object", "patternProperties": {}}}})",
       "response_format.json_schema.schema: unsupported keyword \"patternProperties\" at #"},
      {R"("response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {"type": "objekt"}}})",
       "response_format.json_schema.schema: unknown type \"objekt\""},
      {R"("response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {"$defs": {"n": {"type": "object", "properties": {"n": {"$ref": "#/$defs/n"}}, "required": ["n"]}}, "$ref": "#/$defs/n"}}})",
       "response_format.json_schema.schema: $ref \"#/$defs/n\" recurses without a base case"},
      {R"("response_format": {"type": "json_schema", "json_schema": {"schema": [1]}})",
       "response_format.json_schema.schema: must be a JSON schema"},
      {R"("response_format": {"type": "json_schema", "json_schema": {"strict": "yes"}})",
       "response_format.json_schema.strict: must be a boolean"},
      {R"("grammar": "root ::= undefined")", "grammar: rule \"undefined\" is used but not defined"},
      {R"("grammar": 3)", "grammar: must be a string"},
      {R"("grammar": "root ::= \"a\"", "response_format": {"type": "json_object"})", "only one of"},
  };
  for (const auto& c : cases) {
    const std::string body =
        std::string(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}], )") + c.extra + "}";
    EXPECT_THAT(Refusal(DecodeChatRequest(body)), ::testing::HasSubstr(c.message)) << body;
  }
}

TEST(StructuredOutputTest, OllamaFormat) {
  auto json_mode = DecodeOllamaGenerate(R"({"model": "m", "prompt": "x", "format": "json"})");
  ASSERT_TRUE(json_mode.ok()) << json_mode.status();
  EXPECT_TRUE(Matches(json_mode->input.grammar, R"({"a": 1})"));
  auto schema = DecodeOllamaChat(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}],
      "format": {"type": "array", "items": {"type": "integer"}, "maxItems": 2}})");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_TRUE(Matches(schema->input.grammar, "[1, 2]"));
  EXPECT_FALSE(Matches(schema->input.grammar, "[1, 2, 3]"));
  auto none = DecodeOllamaGenerate(R"({"model": "m", "prompt": "x", "format": ""})");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->input.grammar, nullptr);
  EXPECT_THAT(Refusal(DecodeOllamaGenerate(R"({"model": "m", "prompt": "x", "format": 7})")),
              StartsWith("format: must be a JSON schema"));
}

// A pattern the converter refuses (once a 500 quoting the generated grammar)
// is InvalidArgument naming the field and the pattern's place: a 400.
TEST(StructuredOutputTest, BadPatternRepetitionsAreNamedOnEveryRoute) {
  EXPECT_THAT(Refusal(DecodeOllamaGenerate(R"({"model": "m", "prompt": "hi", "stream": false,
      "format": {"type": "string", "pattern": "^a{5,2}$"}})")),
              StartsWith("format: pattern \"^a{5,2}$\": repetition {5,2}: the minimum 5 is above "
                         "the maximum 2 (at offset 2) at #/pattern"));
  const std::string chat =
      Refusal(DecodeChatRequest(R"({"model": "m", "messages": [{"role": "user", "content": "hi"}],
      "response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema":
        {"type": "object", "properties": {"x": {"type": "string", "pattern": "^a{10001}$"}}}}}})"));
  EXPECT_THAT(chat, StartsWith("response_format.json_schema.schema: pattern \"^a{10001}$\""));
  EXPECT_THAT(chat, ::testing::HasSubstr("counts are limited to 10000"));
  EXPECT_THAT(chat, ::testing::EndsWith("at #/properties/x/pattern"));
  EXPECT_THAT(
      Refusal(DecodeGenerateInput(R"({"text_input": "x", "parameters":
      {"json_schema": {"type": "string", "pattern": "^a{,5}$"}}})")),
      StartsWith("parameters.json_schema: pattern \"^a{,5}$\": repetition {,5} has no minimum"));
  // Lengths that add up past what a grammar may hold: the schema's doing too.
  std::string properties;
  for (int i = 0; i < 60; ++i) {
    properties += (i ? ", " : "") + ("\"p" + std::to_string(i)) +
                  "\": {\"type\": \"string\", \"maxLength\": 10000}";
  }
  EXPECT_THAT(Refusal(DecodeOllamaGenerate(
                  R"({"model": "m", "prompt": "hi", "format": {"type": "object", "properties": {)" +
                  properties + "}}}")),
              StartsWith("format: the schema cannot be followed as a grammar: the grammar is too "
                         "large"));
}

TEST(StructuredOutputTest, TritonGenerateParameters) {
  auto input = DecodeGenerateInput(R"({"text_input": "x", "parameters": {"json_schema": {"enum": ["a", "b"]}}})");
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_TRUE(Matches(input->grammar, "\"b\""));
  EXPECT_FALSE(Matches(input->grammar, "\"c\""));
  auto grammar = DecodeGenerateInput(R"({"text_input": "x", "parameters": {"grammar": "root ::= [0-9]+"}})");
  ASSERT_TRUE(grammar.ok()) << grammar.status();
  EXPECT_TRUE(Matches(grammar->grammar, "123"));
  EXPECT_THAT(Refusal(DecodeGenerateInput(R"({"text_input": "x", "parameters": {"json_schema": {"type": "string", "format": "uri"}}})")),
              StartsWith("parameters.json_schema: format \"uri\" is not supported"));
  EXPECT_THAT(Refusal(DecodeGenerateInput(R"({"text_input": "x", "parameters": {"grammar": "root ::= ("}})")),
              StartsWith("parameters.grammar: line 1"));
}

}  // namespace
}  // namespace inferd
