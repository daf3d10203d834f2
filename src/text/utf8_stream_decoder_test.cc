#include "text/utf8_stream_decoder.h"

#include <string>

#include "gtest/gtest.h"

namespace inferd::text {
namespace {

TEST(Utf8StreamDecoderTest, HoldsBackIncompleteCharacters) {
  Utf8StreamDecoder d;
  const std::string llama = "\xf0\x9f\xa6\x99";  // one 4-byte character
  EXPECT_EQ(d.Push("a"), "a");
  EXPECT_EQ(d.Push(llama.substr(0, 1)), "");
  EXPECT_EQ(d.Push(llama.substr(1, 2)), "");
  EXPECT_EQ(d.Push(llama.substr(3) + "b"), llama + "b");
  EXPECT_EQ(d.Push("\xc3"), "");
  EXPECT_EQ(d.Flush(), "\xc3");
}

TEST(Utf8StreamDecoderTest, PassesInvalidBytesThrough) {
  Utf8StreamDecoder d;
  EXPECT_EQ(d.Push("\x80x\xff"), "\x80x\xff");
  EXPECT_EQ(d.Flush(), "");
}

}  // namespace
}  // namespace inferd::text
