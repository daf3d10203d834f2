#include "common/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace inferd {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

TEST(Utf8Test, WellFormedTextIsValid) {
  for (const char* text : {"", "plain ascii", "caf\xC3\xA9", "\xE2\x82\xAC 5", "\xF0\x9F\x98\x80",
                           "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBD"}) {
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    EXPECT_EQ(ToValidUtf8(text), text);
  }
}

TEST(Utf8Test, IllFormedSequencesAreInvalid) {
  for (const char* text : {"x\xFFy", "\x80", "\xC0\xAF", "\xC3", "\xE2\x82", "\xED\xA0\x80",
                           "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80"}) {
    EXPECT_FALSE(IsValidUtf8(text)) << text;
    EXPECT_TRUE(IsValidUtf8(ToValidUtf8(text))) << text;
  }
}

// As the WHATWG decoder (and so a browser) reads them: each maximal invalid
// subpart is one U+FFFD.
TEST(Utf8Test, EachMaximalInvalidSubpartBecomesOneReplacement) {
  const std::string r = kReplacement;
  EXPECT_EQ(ToValidUtf8("x\xFFy"), "x" + r + "y");
  EXPECT_EQ(ToValidUtf8("\xE2\x82Z"), r + "Z");       // a cut 3-byte sequence
  EXPECT_EQ(ToValidUtf8("a\xE2\x82"), "a" + r);       // cut at the end
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), r + r);          // overlong: two bytes, two
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), r + r + r);  // a surrogate
  EXPECT_EQ(ToValidUtf8("\xF0\x9F\x98"), r);          // a cut 4-byte sequence
  EXPECT_EQ(ToValidUtf8("\xC3\xA9\xFF\xC3\xA9"), "\xC3\xA9" + r + "\xC3\xA9");
}

// Long ASCII runs are checked eight bytes at a time: an invalid byte at
// any offset of a word, or in the tail, is still found.
TEST(Utf8Test, InvalidBytesAreFoundAtEveryOffsetOfLongText) {
  for (size_t at = 0; at < 40; ++at) {
    std::string text(40, 'x');
    text[at] = '\xFF';
    EXPECT_FALSE(IsValidUtf8(text)) << at;
    std::string want = std::string(at, 'x') + kReplacement + std::string(39 - at, 'x');
    EXPECT_EQ(ToValidUtf8(text), want) << at;
    text[at] = 'x';
    EXPECT_TRUE(IsValidUtf8(text));
  }
}

}  // namespace
}  // namespace inferd
