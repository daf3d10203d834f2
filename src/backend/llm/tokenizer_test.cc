#include "backend/llm/tokenizer_loader.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "backend/llm/gguf_file.h"
#include "backend/llm/testing/golden.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

// The GGUF tokenizers as the engine loads them (text::GgufTokenizer through
// LoadTokenizer), on real vocabularies with expected encodings, shared beside
// the checkout. The pattern and UTF-8 streaming tests are in text/.
const char kVocabDir[] = "../shared/data/gguf-vocab/";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitTexts(const std::string& all) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> texts;
  size_t start = 0;
  while (true) {
    const size_t at = all.find(sep, start);
    if (at == std::string::npos) break;
    texts.push_back(all.substr(start, at - start));
    start = at + sep.size();
  }
  if (start < all.size()) texts.push_back(all.substr(start));
  return texts;
}

void ExpectVocabEncodings(const std::string& name) {
  const std::string base = std::string(kVocabDir) + name;
  auto file = GgufFile::Open(base);
  if (!file.ok() && file.status().code() == absl::StatusCode::kNotFound) {
    GTEST_SKIP() << "shared vocab data not found: " << base;
  }
  ASSERT_TRUE(file.ok()) << file.status();
  auto tok = LoadTokenizer(**file);
  ASSERT_TRUE(tok.ok()) << tok.status();
  const std::vector<std::string> texts = SplitTexts(ReadAll(base + ".inp"));
  std::istringstream expected(ReadAll(base + ".out"));
  std::string line;
  size_t checked = 0;
  for (const std::string& text : texts) {
    ASSERT_TRUE(std::getline(expected, line)) << "missing expected line";
    std::vector<int32_t> want;
    std::istringstream ids(line);
    for (int32_t id; ids >> id;) want.push_back(id);
    const std::vector<int32_t> got = (*tok)->Encode(text, false, false);
    EXPECT_EQ(got, want) << "text: \"" << text << "\"";
    ++checked;
  }
  EXPECT_GT(checked, 20u);
}

TEST(TokenizerTest, LlamaSpmVocabularyMatchesReference) {
  ExpectVocabEncodings("ggml-vocab-llama-spm.gguf");
}

TEST(TokenizerTest, Gpt2VocabularyMatchesReference) {
  ExpectVocabEncodings("ggml-vocab-gpt-2.gguf");
}

TEST(TokenizerTest, DecodeRoundTripsThroughBothVocabularies) {
  for (const char* name :
       {"ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"}) {
    auto file = GgufFile::Open(std::string(kVocabDir) + name);
    if (!file.ok()) GTEST_SKIP() << file.status();
    auto tok = *LoadTokenizer(**file);
    const std::string text = "Hello world, ½ month 🦙 нещо\n\tend";
    std::string decoded = tok->Decode(tok->Encode(text, false, false));
    if (tok->kind() == text::GgufTokenizer::Kind::kLlama) {
      ASSERT_EQ(decoded[0], ' ');  // the prefixed space
      decoded.erase(0, 1);
    }
    EXPECT_EQ(decoded, text) << name;
  }
}

TEST(TokenizerTest, SpecialTokensParsedOnlyWhenAsked) {
  auto file =
      GgufFile::Open(std::string(kVocabDir) + "ggml-vocab-llama-spm.gguf");
  if (!file.ok()) GTEST_SKIP() << file.status();
  auto tok = *LoadTokenizer(**file);
  const std::vector<int32_t> special = tok->Encode("<s>hi", false, true);
  ASSERT_FALSE(special.empty());
  EXPECT_EQ(special[0], tok->bos());
  const std::vector<int32_t> plain = tok->Encode("<s>hi", false, false);
  EXPECT_NE(plain[0], tok->bos());
  EXPECT_EQ(tok->Encode("hi", true, false)[0], tok->bos());
  EXPECT_TRUE(tok->IsEndOfGeneration(tok->eos()));
}

}  // namespace
}  // namespace inferd::llm

namespace inferd::llm {
namespace {

// The tiny test models' tokenizers against the script's Python reference.
TEST(TokenizerTest, TinyModelTokenizersMatchPythonReference) {
  for (const char* name : {"tiny-llama", "tiny-qwen2"}) {
    const std::string base = std::string("tests/data/llm/") + name;
    auto file = GgufFile::Open(base + "-f16.gguf");
    ASSERT_TRUE(file.ok()) << file.status();
    auto tok = *LoadTokenizer(**file);
    const auto cases = testing_util::ReadTokenCases(base + ".tokens");
    ASSERT_GE(cases.size(), 8u);
    for (const auto& [text, ids] : cases) {
      EXPECT_EQ(tok->Encode(text, false, false), ids)
          << name << ": \"" << text << "\"";
    }
  }
}

}  // namespace
}  // namespace inferd::llm
