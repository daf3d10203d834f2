#include "text/gguf_tokenizer.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::text {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A vocabulary built in the test; GgufVocab only views these vectors.
struct TestVocab {
  std::string model = "llama";
  std::vector<std::string_view> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  std::vector<std::string_view> merges;
  bool has_merges = false;

  GgufVocab View() const {
    GgufVocab v;
    v.model = model;
    v.tokens = tokens;
    v.scores = scores;
    v.token_types = types;
    if (has_merges) v.merges = absl::Span<const std::string_view>(merges);
    v.add_space_prefix = false;
    return v;
  }
  int32_t Id(std::string_view text) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i] == text) return static_cast<int32_t>(i);
    }
    return -1;
  }
};

// <unk> <s> </s> a b c ab bc, with the scores of ab and bc given.
TestVocab Spm(float ab, float bc) {
  TestVocab v;
  v.tokens = {"<unk>", "<s>", "</s>", "a", "b", "c", "ab", "bc"};
  v.scores = {0, 0, 0, -10, -10, -10, ab, bc};
  v.types = {2, 3, 3, 1, 1, 1, 1, 1};
  return v;
}

TEST(GgufTokenizerTest, SpmMergesTheHighestScoringPairFirst) {
  TestVocab bc_first = Spm(-2, -1);
  auto tok = GgufTokenizer::Create(bc_first.View());
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_THAT((*tok)->Encode("abc", false, false),
              ElementsAre(bc_first.Id("a"), bc_first.Id("bc")));

  TestVocab ab_first = Spm(-1, -2);
  tok = GgufTokenizer::Create(ab_first.View());
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_THAT((*tok)->Encode("abc", false, false),
              ElementsAre(ab_first.Id("ab"), ab_first.Id("c")));
}

TEST(GgufTokenizerTest, SpmEqualScoresMergeLeftmostFirst) {
  TestVocab v = Spm(-1, -1);
  auto tok = *GgufTokenizer::Create(v.View());
  EXPECT_THAT(tok->Encode("abc", false, false),
              ElementsAre(v.Id("ab"), v.Id("c")));
}

// SentencePiece merges any two neighbours whose text is a token, even when
// one of them is a character the vocabulary lacks.
TEST(GgufTokenizerTest, SpmMergesThroughCharactersOutsideTheVocabulary) {
  TestVocab v = Spm(-1, -1);
  v.tokens.push_back("xa");  // "x" itself is not a token
  v.scores.push_back(-1);
  v.types.push_back(1);
  auto tok = *GgufTokenizer::Create(v.View());
  EXPECT_THAT(tok->Encode("xa", false, false), ElementsAre(v.Id("xa")));
}

// A character without a token becomes its byte tokens; a byte without one
// becomes <unk> on its own, as in llama.cpp.
TEST(GgufTokenizerTest, SpmFallsBackToByteTokensOneByOne) {
  TestVocab v = Spm(-1, -1);
  v.tokens.push_back("<0xC3>");
  v.scores.push_back(0);
  v.types.push_back(6);
  auto tok = *GgufTokenizer::Create(v.View());
  // é is C3 A9: the first byte has a token, the second does not.
  EXPECT_THAT(tok->Encode("a\xC3\xA9", false, false),
              ElementsAre(v.Id("a"), v.Id("<0xC3>"), v.Id("<unk>")));
  EXPECT_EQ(tok->TokenBytes(v.Id("<0xC3>")), "\xC3");
}

// "Ġ" is the space byte in GPT-2's byte alphabet.
constexpr std::string_view kG = "\xC4\xA0";
const std::string kGa = std::string(kG) + "a";

TestVocab Gpt2(std::vector<std::string_view> merges) {
  TestVocab v;
  v.model = "gpt2";
  v.tokens = {"a", "b", "c", "ab", "bc", kG, kGa};
  v.merges = std::move(merges);
  v.has_merges = true;
  return v;
}

// llama.cpp keeps the first rank of a pair listed twice; tokenizer.json's
// reference keeps the last.
TEST(GgufTokenizerTest, Gpt2DuplicateMergeKeepsItsFirstRank) {
  const std::string g_a = std::string(kG) + " a";
  TestVocab v = Gpt2({"a b", "b c", "a b", g_a});
  auto tok = GgufTokenizer::Create(v.View());
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_THAT((*tok)->Encode("abc a", false, false),
              ElementsAre(v.Id("ab"), v.Id("c"), v.Id(kGa)));
  EXPECT_EQ((*tok)->TokenBytes(v.Id(kGa)), " a");
}

// llama.cpp's rule: user-defined tokens (GPT-NeoX's runs of spaces) are
// matched in plain text, control tokens only with parse_special.
TEST(GgufTokenizerTest, UserDefinedTokensMatchWithoutParseSpecial) {
  TestVocab v = Spm(-1, -2);
  v.tokens.push_back("  ");  // user-defined
  v.scores.push_back(0);
  v.types.push_back(4);
  v.tokens.push_back("<ctl>");  // control
  v.scores.push_back(0);
  v.types.push_back(3);
  auto tok = GgufTokenizer::Create(v.View());
  ASSERT_TRUE(tok.ok()) << tok.status();
  const int32_t spaces = v.Id("  ");
  EXPECT_THAT((*tok)->Encode("ab  c", false, false),
              ElementsAre(v.Id("ab"), spaces, v.Id("c")));
  const std::vector<int32_t> plain = (*tok)->Encode("<ctl>a", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), v.Id("<ctl>")), 0);
  EXPECT_THAT((*tok)->Encode("<ctl>a", false, true),
              ElementsAre(v.Id("<ctl>"), v.Id("a")));
}

TEST(GgufTokenizerTest, ErrorsNameTheMetadata) {
  TestVocab bad_model = Spm(-1, -1);
  bad_model.model = "bert";
  EXPECT_THAT(GgufTokenizer::Create(bad_model.View()).status().message(),
              HasSubstr("unsupported tokenizer.ggml.model \"bert\""));

  TestVocab bad_scores = Spm(-1, -1);
  bad_scores.scores.pop_back();
  EXPECT_THAT(GgufTokenizer::Create(bad_scores.View()).status().message(),
              HasSubstr("tokenizer.ggml.scores has 7 entries for 8 tokens"));

  TestVocab v = Spm(-1, -1);
  GgufVocab bad_bos = v.View();
  bad_bos.bos_token_id = 99;
  EXPECT_THAT(GgufTokenizer::Create(bad_bos).status().message(),
              HasSubstr("\"tokenizer.ggml.bos_token_id\" = 99 is outside"));

  TestVocab no_merges = Gpt2({});
  no_merges.has_merges = false;
  EXPECT_EQ(GgufTokenizer::Create(no_merges.View()).status().code(),
            absl::StatusCode::kNotFound);

  TestVocab bad_merge = Gpt2({"ab"});
  EXPECT_THAT(GgufTokenizer::Create(bad_merge.View()).status().message(),
              HasSubstr("tokenizer.ggml.merges[0] \"ab\" is not two pieces"));

  TestVocab gpt2 = Gpt2({"a b"});
  GgufVocab bad_pre = gpt2.View();
  bad_pre.pre = "mystery";
  EXPECT_THAT(GgufTokenizer::Create(bad_pre).status().message(),
              HasSubstr("unsupported tokenizer.ggml.pre \"mystery\""));
}

}  // namespace
}  // namespace inferd::text
