#include "text/pre_tokenizer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::text {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> PreTokenize(const std::string& json, const std::string& text,
                             int section = 0) {
  boost::json::value v = boost::json::parse(json);
  auto p = PreTokenizer::FromJson(JsonFields(v.as_object(), "pre_tokenizer"));
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  PreTokenizedText t;
  t.buffer = NormalizedText::FromOriginal(text, 0);
  t.pieces.push_back({0, static_cast<uint32_t>(text.size())});
  (*p)->PreTokenize(&t, section);
  std::vector<std::string> out;
  for (const auto& r : t.pieces) out.emplace_back(t.Piece(r));
  return out;
}

TEST(PreTokenizerTest, ByteLevelAddsPrefixSpace) {
  EXPECT_THAT(PreTokenize(R"({"type": "ByteLevel", "add_prefix_space": true})", "hi there"),
              ElementsAre(" hi", " there"));
  EXPECT_THAT(PreTokenize(R"({"type": "ByteLevel", "use_regex": false})", "hi there"),
              ElementsAre("hi there"));
}

TEST(PreTokenizerTest, BertSplitsPunctuationAndDropsSpaces) {
  EXPECT_THAT(PreTokenize(R"({"type": "BertPreTokenizer"})", " Hi,there!! x "),
              ElementsAre("Hi", ",", "there", "!", "!", "x"));
}

TEST(PreTokenizerTest, WhitespaceUsesAsciiWordCharacters) {
  EXPECT_THAT(PreTokenize(R"({"type": "Whitespace"})", "café au_lait, ok?"),
              ElementsAre("caf", "é", "au_lait", ",", "ok", "?"));
  EXPECT_THAT(PreTokenize(R"({"type": "WhitespaceSplit"})", " a\tb  c "),
              ElementsAre("a", "b", "c"));
}

TEST(PreTokenizerTest, PunctuationAndDigits) {
  EXPECT_THAT(PreTokenize(R"({"type": "Punctuation"})", "a, b!?"),
              ElementsAre("a", ",", " b", "!?"));
  EXPECT_THAT(PreTokenize(R"({"type": "Digits", "individual_digits": true})", "a12b"),
              ElementsAre("a", "1", "2", "b"));
  EXPECT_THAT(PreTokenize(R"({"type": "Digits", "individual_digits": false})", "a12b"),
              ElementsAre("a", "12", "b"));
}

TEST(PreTokenizerTest, MetaspaceReplacesWithoutSplitting) {
  EXPECT_THAT(PreTokenize(R"({"type": "Metaspace", "replacement": "▁",
                      "prepend_scheme": "always"})", "hi there"),
              ElementsAre("▁hi▁there"));
  EXPECT_THAT(PreTokenize(R"({"type": "Metaspace", "prepend_scheme": "first"})",
                  "hi", /*section=*/1),
              ElementsAre("hi"));
}

TEST(PreTokenizerTest, SplitBehaviors) {
  const std::string pattern = R"("pattern": {"String": "-"})";
  auto split = [&](const std::string& behavior, bool invert = false) {
    return PreTokenize(R"({"type": "Split", )" + pattern + R"(, "behavior": ")" +
                   behavior + R"(", "invert": )" + (invert ? "true" : "false") +
                   "}",
               "a-b--c");
  };
  EXPECT_THAT(split("Removed"), ElementsAre("a", "b", "c"));
  EXPECT_THAT(split("Isolated"), ElementsAre("a", "-", "b", "-", "-", "c"));
  EXPECT_THAT(split("MergedWithPrevious"), ElementsAre("a-", "b-", "-", "c"));
  EXPECT_THAT(split("MergedWithNext"), ElementsAre("a", "-b", "-", "-c"));
  EXPECT_THAT(split("Contiguous"), ElementsAre("a", "-", "b", "--", "c"));
  EXPECT_THAT(split("Removed", /*invert=*/true), ElementsAre("-", "-", "-"));
  EXPECT_THAT(PreTokenize(R"({"type": "Split", "pattern": {"Regex": "\\s+(?!\\S)|\\p{N}+"},
                      "behavior": "Isolated", "invert": false})", "ab 12  c"),
              ElementsAre("ab ", "12", " ", " c"));
}

TEST(PreTokenizerTest, RejectsUnknownTypesAndBadRegexes) {
  boost::json::value v = boost::json::parse(R"({"type": "Foo"})");
  auto p = PreTokenizer::FromJson(JsonFields(v.as_object(), "pre_tokenizer"));
  EXPECT_EQ(p.status().message(),
            "tokenizer.json: pre_tokenizer type \"Foo\" is not supported");
  v = boost::json::parse(R"({"type": "Split", "pattern": {"Regex": "(a"},
                            "behavior": "Isolated"})");
  p = PreTokenizer::FromJson(JsonFields(v.as_object(), "pre_tokenizer"));
  EXPECT_FALSE(p.ok());
}

}  // namespace
}  // namespace inferd::text
