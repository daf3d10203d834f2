// Tests of the three models: BPE, WordPiece, Unigram.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "text/bpe_model.h"
#include "text/unigram_model.h"
#include "text/wordpiece_model.h"

namespace inferd::text {
namespace {

using ::testing::ElementsAre;

std::unique_ptr<Model> Make(const std::string& json, bool byte_level = false) {
  boost::json::value v = boost::json::parse(json);
  auto m = Model::FromJson(JsonFields(v.as_object(), "model"), byte_level);
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? std::move(*m) : nullptr;
}

std::vector<std::string> Tokens(const Model& m, std::string_view piece) {
  std::vector<ModelToken> out;
  m.Tokenize(piece, &out);
  std::vector<std::string> tokens;
  for (const auto& t : out) {
    tokens.push_back(t.id < 0 ? "?" : m.vocab().Token(t.id));
  }
  return tokens;
}

TEST(BpeModelTest, MergesByRankThenLeftmost) {
  auto m = Make(R"({"type": "BPE", "unk_token": "<unk>", "vocab": {"<unk>": 0,
      "a": 1, "b": 2, "c": 3, "ab": 4, "bc": 5, "abc": 6, "aa": 7},
      "merges": ["b c", "a b", "a bc", "a a"]})");
  EXPECT_THAT(Tokens(*m, "abc"), ElementsAre("abc"));   // bc first, then a+bc
  EXPECT_THAT(Tokens(*m, "aaa"), ElementsAre("aa", "a"));  // leftmost pair
  EXPECT_THAT(Tokens(*m, "abxc"), ElementsAre("ab", "<unk>", "c"));
  std::vector<ModelToken> out;
  m->Tokenize("abxc", &out);
  EXPECT_EQ(out[1].begin, 2u);
  EXPECT_EQ(out[1].end, 3u);
}

TEST(BpeModelTest, LongWordsUseTheHeapWithTheSameResult) {
  auto m = Make(R"({"type": "BPE", "vocab": {"a": 0, "aa": 1, "aaaa": 2},
      "merges": ["a a", "aa aa"]})");
  std::string word(101, 'a');
  auto tokens = Tokens(*m, word);
  ASSERT_EQ(tokens.size(), 26u);  // 25 x "aaaa" + "a"
  EXPECT_EQ(tokens[0], "aaaa");
  EXPECT_EQ(tokens.back(), "a");
}

TEST(BpeModelTest, ByteLevelWorksOnRawBytes) {
  // "Ġ" is the space byte, "Ã©" the two bytes of "é".
  auto m = Make(R"({"type": "BPE", "vocab": {"Ġ": 0, "h": 1, "i": 2, "Ġh": 3,
      "Ġhi": 4, "Ã": 5, "©": 6, "Ã©": 7}, "merges": ["Ġ h", "Ġh i", "Ã ©"]})",
                /*byte_level=*/true);
  EXPECT_THAT(Tokens(*m, " hi"), ElementsAre("Ġhi"));
  EXPECT_THAT(Tokens(*m, "\xC3\xA9h"), ElementsAre("Ã©", "h"));
}

TEST(BpeModelTest, ByteFallbackAndSuffixes) {
  auto m = Make(R"({"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
      "vocab": {"<unk>": 0, "<0xC3>": 1, "<0xA9>": 2, "a": 3},
      "merges": []})");
  EXPECT_THAT(Tokens(*m, "aé"), ElementsAre("a", "<0xC3>", "<0xA9>"));
  auto s = Make(R"({"type": "BPE", "end_of_word_suffix": "</w>",
      "vocab": {"a": 0, "b</w>": 1, "ab</w>": 2, "b": 3},
      "merges": ["a b</w>"]})");
  EXPECT_THAT(Tokens(*s, "ab"), ElementsAre("ab</w>"));
  EXPECT_THAT(Tokens(*s, "ba"), ElementsAre("b"));  // "a</w>" unknown, no unk
}

TEST(WordPieceModelTest, GreedyLongestMatchAndUnknown) {
  auto m = Make(R"({"type": "WordPiece", "unk_token": "[UNK]",
      "continuing_subword_prefix": "##", "max_input_chars_per_word": 5,
      "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3, "u": 4,
                "##n": 5, "é": 6, "##é": 7}})");
  EXPECT_THAT(Tokens(*m, "unaff"), ElementsAre("un", "##aff"));
  EXPECT_THAT(Tokens(*m, "unx"), ElementsAre("[UNK]"));
  EXPECT_THAT(Tokens(*m, "unaffable"), ElementsAre("[UNK]"));  // > 5 chars
  EXPECT_THAT(Tokens(*m, "éé"), ElementsAre("é", "##é"));
}

TEST(UnigramModelTest, ViterbiPicksTheBestSegmentation) {
  auto m = Make(R"({"type": "Unigram", "unk_id": 0, "vocab": [
      ["<unk>", 0], ["a", -1], ["b", -1], ["ab", -1.5], ["abc", -4],
      ["c", -2], ["bc", -2.6]]})");
  EXPECT_THAT(Tokens(*m, "ab"), ElementsAre("ab"));      // -1.5 > -2
  EXPECT_THAT(Tokens(*m, "abc"), ElementsAre("ab", "c"));  // -3.5 best
  EXPECT_THAT(Tokens(*m, "axb"), ElementsAre("a", "<unk>", "b"));
  EXPECT_TRUE(m->fuse_unk());
}

TEST(ModelTest, UnknownModelTypeIsNamed) {
  boost::json::value v = boost::json::parse(R"({"type": "WordLevel"})");
  auto m = Model::FromJson(JsonFields(v.as_object(), "model"), false);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(),
            "tokenizer.json: model type \"WordLevel\" is not supported");
}

}  // namespace
}  // namespace inferd::text
