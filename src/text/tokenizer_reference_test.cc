// Compares inferd's tokenizers with Hugging Face's JavaScript implementation
// (@huggingface/tokenizers) on a corpus: the reference encodings in
// tests/tokenizers/reference/ were written by tests/tokenizers/
// make_reference.mjs from the tokenizers in tests/tokenizers/data/. Ids,
// type ids and decoded text must be identical; for gpt2, byte offsets too
// (derived from the reference's tokens, as the package reports none).
//
// Runs from the repository root (ctest sets the working directory).

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "text/normalizer.h"
#include "text/tokenizer.h"

namespace inferd::text {
namespace {

const char kRoot[] = "tests/tokenizers/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

boost::json::value ReadJson(const std::string& path) {
  std::string text = ReadFile(path);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << path << ": " << ec.message();
  return v;
}

// tokenizer.json text for `name`, applying data/<name>/overlay.json.
std::string TokenizerJson(const std::string& name) {
  std::string dir = std::string(kRoot) + "data/" + name + "/";
  std::ifstream overlay(dir + "overlay.json");
  if (!overlay) return ReadFile(dir + "tokenizer.json");
  boost::json::value o = ReadJson(dir + "overlay.json");
  std::string base(o.as_object().at("base").as_string());
  boost::json::value t = boost::json::parse(TokenizerJson(base));
  for (const auto& kv : o.as_object()) {
    if (kv.key() != "base") t.as_object()[kv.key()] = kv.value();
  }
  return boost::json::serialize(t);
}

std::vector<int32_t> Ints(const boost::json::value& v) {
  std::vector<int32_t> out;
  for (const auto& x : v.as_array()) out.push_back(x.to_number<int32_t>());
  return out;
}

std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 120)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20) {
      out += "\\x" + std::to_string(c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

class TokenizerReferenceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TokenizerReferenceTest, MatchesJavaScriptReference) {
  const std::string name = GetParam();
  boost::json::value corpus = ReadJson(std::string(kRoot) + "reference/corpus.json");
  boost::json::value reference =
      ReadJson(std::string(kRoot) + "reference/" + name + ".json");
  ASSERT_TRUE(corpus.is_object() && reference.is_object());
  std::vector<std::string> texts;
  for (const auto& t : corpus.as_object().at("texts").as_array()) {
    texts.emplace_back(t.as_string());
  }
  auto tokenizer = Tokenizer::FromJson(TokenizerJson(name));
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();

  size_t cases = 0, tokens = 0, id_mismatch = 0, type_mismatch = 0,
         decode_mismatch = 0, offset_mismatch = 0, reported = 0;
  for (const auto& cv : reference.as_object().at("cases").as_array()) {
    const auto& c = cv.as_object();
    int64_t a = c.at("a").to_number<int64_t>();
    int64_t b = c.at("b").to_number<int64_t>();
    bool special = c.at("special").as_bool();
    std::optional<std::string_view> pair;
    if (b >= 0) pair = texts[b];
    auto e = (*tokenizer)->Encode(texts[a], pair, special);
    ASSERT_TRUE(e.ok()) << e.status();
    ++cases;
    std::vector<int32_t> ids = Ints(c.at("ids"));
    tokens += ids.size();
    bool bad = false;
    if (e->ids != ids) {
      ++id_mismatch;
      bad = true;
    }
    if (!c.at("type_ids").is_null() && e->type_ids != Ints(c.at("type_ids"))) {
      ++type_mismatch;
      bad = true;
    }
    auto decoded = (*tokenizer)->Decode(e->ids, /*skip_special_tokens=*/true);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    if (*decoded != c.at("decoded").as_string()) {
      ++decode_mismatch;
      bad = true;
    }
    if (const boost::json::value* offsets = c.if_contains("offsets")) {
      const auto& list = offsets->as_array();
      bool same = list.size() == e->offsets.size();
      for (size_t i = 0; same && i < list.size(); ++i) {
        same = e->offsets[i].start == list[i].as_array()[0].to_number<uint32_t>() &&
               e->offsets[i].end == list[i].as_array()[1].to_number<uint32_t>();
      }
      if (!same) {
        ++offset_mismatch;
        bad = true;
      }
    }
    if (bad && reported++ < 5) {
      std::string got, want;
      for (int32_t id : e->ids) got += std::to_string(id) + " ";
      for (int32_t id : ids) want += std::to_string(id) + " ";
      ADD_FAILURE() << name << " text " << a << " pair " << b << " special "
                    << special << ": \"" << Escape(texts[a]) << "\"\n got:  "
                    << got << "\n want: " << want << "\n decoded: \""
                    << Escape(*decoded) << "\"\n want:    \""
                    << Escape(std::string(c.at("decoded").as_string())) << "\"";
    }
  }
  std::cout << name << ": " << cases << " encodings, " << tokens
            << " tokens; mismatches: ids " << id_mismatch << ", type ids "
            << type_mismatch << ", decoded " << decode_mismatch
            << ", offsets " << offset_mismatch << "\n";
  EXPECT_GT(cases, 900u);
  EXPECT_EQ(id_mismatch, 0u);
  EXPECT_EQ(type_mismatch, 0u);
  EXPECT_EQ(decode_mismatch, 0u);
  EXPECT_EQ(offset_mismatch, 0u);
}

// The reference reports no offsets for WordPiece; check ours against the
// tokens instead: normalizing the original bytes a token points at must give
// back the token (without "##"), for every token but [UNK]. Two allowances:
// a character that normalizes to several tokens (a Hangul syllable's jamo)
// gives each of them its whole range, so containment is enough; and final
// sigma depends on context the slice lacks.
TEST(TokenizerReferenceOffsetsTest, WordPieceOffsetsSpellTheirTokens) {
  std::string json = TokenizerJson("wordpiece");
  auto tokenizer = Tokenizer::FromJson(json);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status();
  boost::json::value root = boost::json::parse(json);
  auto normalizer = Normalizer::FromJson(
      JsonFields(root.as_object().at("normalizer").as_object(), "normalizer"));
  ASSERT_TRUE(normalizer.ok());
  boost::json::value corpus = ReadJson(std::string(kRoot) + "reference/corpus.json");
  size_t checked = 0, wrong = 0;
  for (const auto& tv : corpus.as_object().at("texts").as_array()) {
    std::string text(tv.as_string());
    auto e = (*tokenizer)->Encode(text, std::nullopt, false);
    ASSERT_TRUE(e.ok());
    uint32_t previous_end = 0;
    for (size_t i = 0; i < e->size(); ++i) {
      const Span& s = e->offsets[i];
      ASSERT_LE(s.end, text.size());
      EXPECT_GE(s.start, previous_end > s.start ? s.start : 0u);
      previous_end = s.end;
      if (e->tokens[i] == "[UNK]") continue;
      std::string want = e->tokens[i];
      if (want.rfind("##", 0) == 0) want.erase(0, 2);
      std::string_view raw =
          std::string_view(text).substr(s.start, s.end - s.start);
      // Special tokens match the raw text; the rest the normalized text.
      std::string got = e->special_tokens_mask[i]
                            ? std::string(raw)
                            : (*normalizer)->NormalizeString(raw);
      // BERT pads CJK ideographs with spaces.
      while (!got.empty() && got.front() == ' ') got.erase(0, 1);
      while (!got.empty() && got.back() == ' ') got.pop_back();
      auto fold_sigma = [](std::string* t) {
        for (size_t p; (p = t->find("\xCF\x82")) != std::string::npos;) {
          t->replace(p, 2, "\xCF\x83");
        }
      };
      fold_sigma(&got);
      fold_sigma(&want);
      ++checked;
      if (got.find(want) == std::string::npos && wrong++ < 5) {
        ADD_FAILURE() << "token \"" << e->tokens[i] << "\" at [" << s.start
                      << ", " << s.end << ") of \"" << Escape(text)
                      << "\" normalizes to \"" << got << "\"";
      }
    }
  }
  std::cout << "wordpiece offsets: " << checked << " tokens checked, " << wrong
            << " wrong\n";
  EXPECT_GT(checked, 30000u);
  EXPECT_EQ(wrong, 0u);
}

INSTANTIATE_TEST_SUITE_P(Corpus, TokenizerReferenceTest,
                         ::testing::Values("gpt2", "gpt2_split", "wordpiece",
                                           "unigram", "bpe_mixed"));

}  // namespace
}  // namespace inferd::text
