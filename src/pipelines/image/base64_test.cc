#include "pipelines/image/base64.h"

#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

TEST(Base64Test, DecodesStandardUrlSafeUnpaddedAndDataUrls) {
  EXPECT_EQ(DecodeBase64("aGVsbG8=").value(), "hello");
  EXPECT_EQ(DecodeBase64("aGVsbG8").value(), "hello");
  EXPECT_EQ(DecodeBase64("-_8=").value(), "\xfb\xff");
  EXPECT_EQ(DecodeBase64("+/8=").value(), "\xfb\xff");
  EXPECT_EQ(DecodeBase64("data:image/png;base64,aGk=").value(), "hi");
  EXPECT_EQ(DecodeBase64("").value(), "");
}

TEST(Base64Test, RefusesCharactersOutsideTheAlphabet) {
  EXPECT_EQ(DecodeBase64("aGV*bG8=").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeBase64("data:image/png,aGk=").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace inferd::pipelines
