#include "text/normalizer.h"

#include <string>

#include "gtest/gtest.h"

namespace inferd::text {
namespace {

std::unique_ptr<Normalizer> Make(const std::string& json) {
  boost::json::value v = boost::json::parse(json);
  auto n = Normalizer::FromJson(JsonFields(v.as_object(), "normalizer"));
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? std::move(*n) : nullptr;
}

TEST(NormalizerTest, LowercaseHandlesSpecialCasing) {
  auto n = Make(R"({"type": "Lowercase"})");
  EXPECT_EQ(n->NormalizeString("HeLLo ÀÉ"), "hello àé");
  EXPECT_EQ(n->NormalizeString("İ"), "i\xCC\x87");  // i + combining dot
  EXPECT_EQ(n->NormalizeString("ΟΔΟΣ Σ"), "οδος σ");  // final sigma only
}

TEST(NormalizerTest, UnicodeFormsAndAlignment) {
  auto nfd = Make(R"({"type": "NFD"})");
  NormalizedText t = NormalizedText::FromOriginal("xé", 10);
  nfd->Normalize(&t);
  EXPECT_EQ(t.text, "xe\xCC\x81");
  EXPECT_EQ(t.Origin(1, 2), (Span{11, 13}));  // 'e' comes from é
  EXPECT_EQ(t.Origin(2, 4), (Span{11, 13}));  // and so does the accent
  EXPECT_EQ(Make(R"({"type": "NFC"})")->NormalizeString("e\xCC\x81"), "é");
  EXPECT_EQ(Make(R"({"type": "NFKC"})")->NormalizeString("ﬁ①"), "fi1");
  EXPECT_EQ(Make(R"({"type": "NFKD"})")->NormalizeString("ﬁé"), "fie\xCC\x81");
}

TEST(NormalizerTest, StripAccentsRemovesMarksOnly) {
  auto n = Make(R"({"type": "StripAccents"})");
  EXPECT_EQ(n->NormalizeString("e\xCC\x81t\xC3\xA9"), "et\xC3\xA9");  // no NFD
}

TEST(NormalizerTest, BertCleansSpacesChineseAndAccents) {
  auto n = Make(R"({"type": "BertNormalizer", "clean_text": true,
      "handle_chinese_chars": true, "strip_accents": null, "lowercase": true})");
  NormalizedText t = NormalizedText::FromOriginal("A\tÉ\x07中", 0);
  n->Normalize(&t);
  EXPECT_EQ(t.text, "a e 中 ");
  EXPECT_EQ(t.Origin(2, 3), (Span{2, 4}));  // e <- É
  EXPECT_EQ(t.Origin(4, 7), (Span{5, 8}));  // 中
  auto keep = Make(R"({"type": "BertNormalizer", "clean_text": false,
      "handle_chinese_chars": false, "strip_accents": false, "lowercase": true})");
  EXPECT_EQ(keep->NormalizeString("É"), "é");
}

TEST(NormalizerTest, ReplacePrependStripSequence) {
  auto n = Make(R"({"type": "Sequence", "normalizers": [
      {"type": "Strip", "strip_left": true, "strip_right": true},
      {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": "_"},
      {"type": "Replace", "pattern": {"String": "a"}, "content": "AA"},
      {"type": "Prepend", "prepend": ">"}]})");
  NormalizedText t = NormalizedText::FromOriginal("  a  b ", 0);
  n->Normalize(&t);
  EXPECT_EQ(t.text, ">AA_b");
  EXPECT_EQ(t.Origin(1, 3), (Span{2, 3}));
  EXPECT_EQ(t.Origin(3, 4), (Span{3, 5}));
}

TEST(NormalizerTest, UnknownTypeIsNamed) {
  boost::json::value v = boost::json::parse(R"({"type": "Sequence",
      "normalizers": [{"type": "Bogus"}]})");
  auto n = Normalizer::FromJson(JsonFields(v.as_object(), "normalizer"));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().message(),
            "tokenizer.json: normalizer.normalizers[0] type \"Bogus\" is not "
            "supported");
}

}  // namespace
}  // namespace inferd::text
