#include "text/decoder.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::text {
namespace {

std::string Decode(const std::string& json, std::vector<std::string> tokens,
                   absl::flat_hash_set<std::string> added = {}) {
  boost::json::value v = boost::json::parse(json);
  auto d = Decoder::FromJson(JsonFields(v.as_object(), "decoder"));
  EXPECT_TRUE(d.ok()) << d.status();
  if (!d.ok()) return "";
  (*d)->DecodeChain(&tokens, added);
  std::string out;
  for (const auto& t : tokens) out += t;
  return out;
}

TEST(DecoderTest, ByteLevelMapsBytesAndPassesAddedTokens) {
  EXPECT_EQ(Decode(R"({"type": "ByteLevel"})",
                   {"Hello", "Ġw", "Ã©", "<|endoftext|>", "Ġ!"},
                   {"<|endoftext|>"}),
            "Hello w\xC3\xA9<|endoftext|> !");
  // A lone lead byte becomes U+FFFD.
  EXPECT_EQ(Decode(R"({"type": "ByteLevel"})", {"Ã"}), "\xEF\xBF\xBD");
}

TEST(DecoderTest, WordPieceMetaspaceBpe) {
  EXPECT_EQ(Decode(R"({"type": "WordPiece", "prefix": "##", "cleanup": true})",
                   {"un", "##aff", "##able", "world", "."}),
            "unaffable world.");
  EXPECT_EQ(Decode(R"({"type": "Metaspace", "replacement": "▁"})",
                   {"▁Hello", "▁wor", "ld"}),
            "Hello world");
  EXPECT_EQ(Decode(R"({"type": "BPEDecoder", "suffix": "</w>"})",
                   {"hel", "lo</w>", "world</w>"}),
            "hello world");
}

TEST(DecoderTest, SequenceOfReplaceByteFallbackFuseStrip) {
  EXPECT_EQ(Decode(R"({"type": "Sequence", "decoders": [
      {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
      {"type": "ByteFallback"}, {"type": "Fuse"},
      {"type": "Strip", "content": " ", "start": 1, "stop": 0}]})",
                   {"▁Hi", "<0xC3>", "<0xA9>", "▁there"}),
            "Hi\xC3\xA9 there");
}

TEST(DecoderTest, CtcCollapsesRepeats) {
  EXPECT_EQ(Decode(R"({"type": "CTC", "pad_token": "<pad>",
                       "word_delimiter_token": "|", "cleanup": true})",
                   {"h", "h", "<pad>", "i", "|", "y", "o", "o"}),
            "hi yo");
}

TEST(DecoderTest, CleanUpTokenization) {
  EXPECT_EQ(CleanUpTokenization("a , b . it 's I 'm do n't"),
            "a, b. it's I'm don't");
}

}  // namespace
}  // namespace inferd::text
