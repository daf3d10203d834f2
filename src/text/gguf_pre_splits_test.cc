// WordSplitter::ForGgufPre against the word splits of llama.cpp's
// expressions for each GGUF pre-tokenizer type, computed by Python's regex
// module (scripts/llm/make_pre_splits.py -> tests/data/text/
// gguf_pre_splits.txt): whitespace runs, digits, punctuation and symbols,
// CJK, emoji, non-Latin scripts.

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "text/word_splitter.h"

namespace inferd::text {
namespace {

using ::testing::HasSubstr;

std::string FromHex(std::string_view hex) {
  std::string out;
  if (hex == "-") return out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(
        std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

TEST(GgufPreSplitsTest, EveryPreTypeSplitsAsTheReference) {
  std::ifstream in("tests/data/text/gguf_pre_splits.txt");
  ASSERT_TRUE(in.good()) << "tests/data/text/gguf_pre_splits.txt";
  std::map<std::string, int> checked;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string pre, hex;
    fields >> pre >> hex;
    const std::string text = FromHex(hex);
    std::vector<std::string> want;
    for (std::string w; fields >> w;) want.push_back(FromHex(w));
    auto splitter = WordSplitter::ForGgufPre(pre == "default" ? "" : pre);
    ASSERT_TRUE(splitter.ok()) << splitter.status();
    std::vector<PreTokenizedText::Range> ranges;
    splitter->Split(text, 0, &ranges);
    std::vector<std::string> got;
    for (auto r : ranges) got.push_back(text.substr(r.begin, r.end - r.begin));
    EXPECT_EQ(got, want) << pre << " text: \"" << text << "\"";
    ++checked[pre];
  }
  for (const char* pre :
       {"default", "gpt-2", "falcon", "starcoder", "command-r",
        "deepseek-coder", "deepseek-llm", "llama-bpe", "qwen2"}) {
    EXPECT_GE(checked[pre], 30) << pre;
  }
}

TEST(GgufPreSplitsTest, DefaultIsTheEmptyName) {
  auto empty = WordSplitter::ForGgufPre("");
  auto named = WordSplitter::ForGgufPre("default");
  ASSERT_TRUE(empty.ok());
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(empty->options().stages, named->options().stages);
  EXPECT_FALSE(empty->options().stages.empty());
}

TEST(GgufPreSplitsTest, UnknownPreTypeIsRefusedByName) {
  for (const char* pre : {"gpt-neox", "tekken", "chatglm-bpe", "Qwen2"}) {
    auto splitter = WordSplitter::ForGgufPre(pre);
    ASSERT_FALSE(splitter.ok()) << pre;
    EXPECT_THAT(splitter.status().message(),
                HasSubstr(std::string("\"") + pre + "\""));
  }
}

}  // namespace
}  // namespace inferd::text
