#include "backend/llm/tokenizer_loader.h"

#include <string>
#include <vector>

#include "backend/llm/gguf_file.h"
#include "backend/llm/testing/golden.h"
#include "gtest/gtest.h"

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
