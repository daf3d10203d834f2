#include "text/tokenizer.h"

#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::text {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A tiny BERT-style tokenizer built by hand.
constexpr char kBert[] = R"({
  "version": "1.0",
  "truncation": null, "padding": null,
  "added_tokens": [
    {"id": 0, "content": "[PAD]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 1, "content": "[UNK]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 2, "content": "[CLS]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 3, "content": "[SEP]", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
    {"id": 4, "content": "[MASK]", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true}
  ],
  "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
  "pre_tokenizer": {"type": "BertPreTokenizer"},
  "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]},
  "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
  "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
    "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "[MASK]": 4,
              "hello": 5, "world": 6, "!": 7, "un": 8, "##aff": 9, "##able": 10,
              "cafe": 11, ",": 12, "中": 13, "a": 14}}
})";

std::unique_ptr<Tokenizer> Load(const char* json) {
  auto t = Tokenizer::FromJson(json);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? std::move(*t) : nullptr;
}

TEST(TokenizerTest, BertEncodesWithSpecialTokensAndOffsets) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  std::string text = "Hello, unaffable WORLD!";
  auto e = t->Encode(text);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->ids, ElementsAre(2, 5, 12, 8, 9, 10, 6, 7, 3));
  EXPECT_THAT(e->tokens, ElementsAre("[CLS]", "hello", ",", "un", "##aff",
                                     "##able", "world", "!", "[SEP]"));
  EXPECT_THAT(e->special_tokens_mask, ElementsAre(1, 0, 0, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(e->offsets[1], (Span{0, 5}));
  EXPECT_EQ(e->offsets[3], (Span{7, 9}));
  EXPECT_EQ(e->offsets[4], (Span{9, 12}));
  EXPECT_EQ(e->offsets[6], (Span{17, 22}));
  EXPECT_EQ(e->offsets[0], (Span{0, 0}));
}

TEST(TokenizerTest, StripsAccentsAndKeepsOriginalByteOffsets) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  std::string text = "Café 中!";  // é is 2 bytes, 中 3 bytes
  auto e = t->Encode(text, std::nullopt, /*add_special_tokens=*/false);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(e->ids, ElementsAre(11, 13, 7));
  EXPECT_EQ(e->offsets[0], (Span{0, 5}));
  EXPECT_EQ(e->offsets[1], (Span{6, 9}));
  EXPECT_EQ(e->offsets[2], (Span{9, 10}));
  auto chars = e->CharOffsets(text);
  EXPECT_EQ(chars[0], (Span{0, 4}));
  EXPECT_EQ(chars[1], (Span{5, 6}));
}

TEST(TokenizerTest, UnknownWordBecomesUnk) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  auto e = t->Encode("hello zzz", std::nullopt, false);
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->ids, ElementsAre(5, 1));
  EXPECT_EQ(e->offsets[1], (Span{6, 9}));
}

TEST(TokenizerTest, PairGetsTypeIds) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  auto e = t->Encode("hello", std::string_view("world!"));
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->ids, ElementsAre(2, 5, 3, 6, 7, 3));
  EXPECT_THAT(e->type_ids, ElementsAre(0, 0, 0, 1, 1, 1));
  EXPECT_THAT(e->sequence_ids, ElementsAre(-1, 0, -1, 1, 1, -1));
  EXPECT_EQ(e->offsets[4], (Span{5, 6}));
}

TEST(TokenizerTest, AddedTokenInTextWithLstrip) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  auto e = t->Encode("hello [MASK]!", std::nullopt, false);
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->ids, ElementsAre(5, 4, 7));
  EXPECT_EQ(e->offsets[1], (Span{6, 12}));
}

TEST(TokenizerTest, DecodeJoinsWordPieces) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  auto text = t->Decode({2, 5, 12, 8, 9, 10, 6, 7, 3}, true);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "hello, unaffable world!");
  EXPECT_FALSE(t->Decode({99}).ok());
}

TEST(TokenizerTest, BatchPadsToLongestAndTruncates) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  EncodeOptions options;
  options.padding.strategy = PaddingOptions::Strategy::kBatchLongest;
  options.padding.pad_id = 0;
  std::vector<TextInput> inputs = {{"hello", std::nullopt},
                                   {"hello world!", std::nullopt}};
  auto batch = t->EncodeBatch(inputs, options);
  ASSERT_TRUE(batch.ok());
  EXPECT_THAT((*batch)[0].ids, ElementsAre(2, 5, 3, 0, 0));
  EXPECT_THAT((*batch)[0].attention_mask, ElementsAre(1, 1, 1, 0, 0));
  EXPECT_THAT((*batch)[1].ids, ElementsAre(2, 5, 6, 7, 3));

  options.truncation.max_length = 4;
  options.truncation.stride = 1;
  batch = t->EncodeBatch(inputs, options);
  ASSERT_TRUE(batch.ok());
  EXPECT_THAT((*batch)[1].ids, ElementsAre(2, 5, 6, 3));
  ASSERT_EQ((*batch)[1].overflowing.size(), 1u);
  EXPECT_THAT((*batch)[1].overflowing[0].ids, ElementsAre(2, 6, 7, 3));
  EXPECT_THAT((*batch)[0].ids, ElementsAre(2, 5, 3, 0));
}

TEST(TokenizerTest, InvalidUtf8IsAnError) {
  auto t = Load(kBert);
  ASSERT_NE(t, nullptr);
  auto e = t->Encode("bad \xC3\x28");
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TokenizerTest, UnsupportedComponentIsNamed) {
  std::string json = kBert;
  json.replace(json.find("\"BertPreTokenizer\""), 18, "\"Foo\"");
  auto t = Tokenizer::FromJson(json);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()),
              HasSubstr("pre_tokenizer type \"Foo\" is not supported"));
}

TEST(TokenizerTest, BadJsonIsAnError) {
  EXPECT_FALSE(Tokenizer::FromJson("{").ok());
  EXPECT_FALSE(Tokenizer::FromJson("[]").ok());
  EXPECT_FALSE(Tokenizer::FromJson(R"({"model": {"type": "Nope"}})").ok());
}

// The GPT-2 vocabulary converted by scripts/tokenizers/gpt2_tokenizer_json.mjs.
constexpr char kGpt2[] = "tests/tokenizers/data/gpt2/tokenizer.json";

TEST(TokenizerTest, Gpt2ByteLevelOffsetsCoverWholeCharacters) {
  auto t = Tokenizer::FromFile(kGpt2);
  ASSERT_TRUE(t.ok()) << t.status();
  std::string text = "Hello 🤗 world<|endoftext|>";
  auto e = (*t)->Encode(text);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->ids.front(), 15496);  // "Hello"
  EXPECT_EQ(e->ids.back(), 50256);   // <|endoftext|>, matched in the text
  EXPECT_EQ(e->special_tokens_mask.back(), 1);
  // The emoji (4 bytes at 6..10) is split across byte-level tokens; each
  // reports the whole character (the first one with its leading space).
  bool saw_emoji = false;
  for (const Span& s : e->offsets) {
    if (s.end == 10 && s.start >= 5 && s.start <= 6) saw_emoji = true;
    EXPECT_TRUE(s.start <= 6 || s.start >= 10) << s.start;
  }
  EXPECT_TRUE(saw_emoji);
  auto utf16 = e->CharOffsets(text, {}, Encoding::CharUnit::kUtf16);
  auto points = e->CharOffsets(text);
  EXPECT_EQ(utf16.back(), (Span{14, 27}));   // 🤗 is two UTF-16 units
  EXPECT_EQ(points.back(), (Span{13, 26}));  // and one code point
  auto decoded = (*t)->Decode(e->ids);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, text);
  decoded = (*t)->Decode(e->ids, /*skip_special_tokens=*/true);
  EXPECT_EQ(*decoded, "Hello 🤗 world");
}

TEST(TokenizerTest, ConcurrentEncodesAgree) {
  auto t = Tokenizer::FromFile(kGpt2);
  ASSERT_TRUE(t.ok()) << t.status();
  const Tokenizer& tokenizer = **t;
  std::vector<std::string> texts;
  for (int i = 0; i < 50; ++i) {
    texts.push_back("Text number " + std::to_string(i) +
                    ": the quick brown fox, naïvely 😀, jumps over " +
                    std::string(i * 3, 'z') + " dogs.");
  }
  std::vector<std::vector<int32_t>> expected;
  for (const auto& text : texts) expected.push_back(tokenizer.Encode(text)->ids);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int k = 0; k < 4; ++k) {
    threads.emplace_back([&, k] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          auto e = tokenizer.Encode(texts[(i + k) % texts.size()]);
          if (!e.ok() || e->ids != expected[(i + k) % texts.size()]) {
            ++mismatches[k];
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(TokenizerTest, ReadsTruncationAndPaddingFromTheFile) {
  std::string json = kBert;
  json.replace(json.find(R"("truncation": null, "padding": null)"),
               std::string(R"("truncation": null, "padding": null)").size(),
               R"("truncation": {"max_length": 4, "strategy": "LongestFirst",
                   "stride": 0, "direction": "Right"},
                  "padding": {"strategy": {"Fixed": 6}, "direction": "Right",
                   "pad_to_multiple_of": null, "pad_id": 0, "pad_type_id": 0,
                   "pad_token": "[PAD]"})");
  auto t = Tokenizer::FromJson(json);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ((*t)->default_options().truncation.max_length, 4u);
  auto e = (*t)->Encode("hello world ! hello");
  ASSERT_TRUE(e.ok());
  EXPECT_THAT(e->ids, ElementsAre(2, 5, 6, 3, 0, 0));
  EXPECT_THAT(e->tokens, ElementsAre("[CLS]", "hello", "world", "[SEP]",
                                     "[PAD]", "[PAD]"));
}

TEST(TokenizerTest, FromFileReportsMissingFile) {
  auto t = Tokenizer::FromFile("/nonexistent/tokenizer.json");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace inferd::text
