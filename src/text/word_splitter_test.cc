#include "text/word_splitter.h"

#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::text {
namespace {

using ::testing::ElementsAre;

std::vector<std::string_view> Words(const WordSplitter& splitter,
                                    std::string_view text) {
  std::vector<PreTokenizedText::Range> ranges;
  splitter.Split(text, 0, &ranges);
  std::vector<std::string_view> out;
  for (auto r : ranges) out.push_back(text.substr(r.begin, r.end - r.begin));
  return out;
}

TEST(WordSplitterTest, Gpt2PatternMatchesJavaScript) {
  const WordSplitter splitter(WordSplitter::Options{});
  EXPECT_THAT(Words(splitter, "I'm  here's 42x\n\n  héllo!!  "),
              ElementsAre("I", "'m", " ", " here", "'s", " 42", "x", "\n\n ",
                          " héllo", "!!", "  "));
}

TEST(WordSplitterTest, GgufGpt2Pattern) {
  auto pre = *WordSplitter::ForGgufPre("gpt2");
  EXPECT_THAT(Words(pre, "Hello, world's   123\n"),
              ElementsAre("Hello", ",", " world", "'s", "  ", " 123", "\n"));
}

TEST(WordSplitterTest, Llama3PatternGroupsDigitsByThree) {
  auto pre = *WordSplitter::ForGgufPre("llama3");
  EXPECT_THAT(
      Words(pre, "Hello WORLD'S 12345.\n\nx"),
      ElementsAre("Hello", " WORLD", "'S", " ", "123", "45", ".\n\n", "x"));
  auto qwen = *WordSplitter::ForGgufPre("qwen2");
  EXPECT_EQ(Words(qwen, "12").size(), 2u);
  EXPECT_FALSE(WordSplitter::ForGgufPre("mystery").ok());
}

TEST(WordSplitterTest, SplitDigitsFirstIsolatesEveryDigit) {
  auto pre = *WordSplitter::ForGgufPre("smollm");
  EXPECT_THAT(Words(pre, "ab 123c"),
              ElementsAre("ab", " ", "1", "2", "3", "c"));
}

// GGUF vocabularies follow llama.cpp, whose \s is Unicode's White_Space
// (with U+0085, without U+FEFF); tokenizer.json follows ECMAScript's \s.
TEST(WordSplitterTest, WhitespaceSetFollowsTheReference) {
  const std::string nel = "\xC2\x85";
  const std::string nel_a = "x" + nel + nel + "a";
  auto gguf = *WordSplitter::ForGgufPre("gpt2");
  EXPECT_THAT(Words(gguf, nel_a), ElementsAre("x", nel, nel, "a"));
  const WordSplitter js(WordSplitter::Options{});
  EXPECT_THAT(Words(js, nel_a), ElementsAre("x", nel + nel, "a"));
}

// Raw prompt bytes need not be UTF-8: each invalid byte is one "other"
// character, and nothing reads past the end of a cut-short sequence.
TEST(WordSplitterTest, InvalidUtf8IsOtherCharacters) {
  auto gguf = *WordSplitter::ForGgufPre("gpt2");
  EXPECT_THAT(Words(gguf, "ab\xFF\xFE cd\xE2\x96"),
              ElementsAre("ab", "\xFF\xFE", " cd", "\xE2\x96"));
  auto llama3 = *WordSplitter::ForGgufPre("llama3");
  EXPECT_THAT(Words(llama3, "ab\xF0"), ElementsAre("ab", "\xF0"));
}

}  // namespace
}  // namespace inferd::text
