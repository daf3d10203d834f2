#include "http/content_coding.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

TEST(ContentCodingTest, GzipAndDeflateRoundTrip) {
  const std::string body(10000, 'x');
  for (ContentCoding coding : {ContentCoding::kGzip, ContentCoding::kDeflate}) {
    const std::string packed = EncodeBody(coding, body);
    EXPECT_LT(packed.size(), 200u);
    absl::StatusOr<std::string> back = DecodeBody(coding, packed, body.size());
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, body);
  }
}

TEST(ContentCodingTest, ABombStopsAtTheLimit) {
  const std::string packed = EncodeBody(ContentCoding::kGzip, std::string(50 << 20, '\0'));
  absl::StatusOr<std::string> back = DecodeBody(ContentCoding::kGzip, packed, 1 << 20);
  EXPECT_EQ(back.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(back.status().message()), HasSubstr("--max-body-bytes"));
}

TEST(ContentCodingTest, CorruptAndTruncatedDataAreInvalid) {
  std::string packed = EncodeBody(ContentCoding::kDeflate, std::string(1000, 'a'));
  EXPECT_EQ(DecodeBody(ContentCoding::kGzip, packed, 1 << 20).status().code(),
            absl::StatusCode::kInvalidArgument);
  packed.resize(packed.size() / 2);
  absl::StatusOr<std::string> half = DecodeBody(ContentCoding::kDeflate, packed, 1 << 20);
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(half.status().message()), HasSubstr("not valid deflate"));
  EXPECT_EQ(DecodeBody(ContentCoding::kGzip, "", 10).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ContentCodingTest, ContentEncodingValues) {
  EXPECT_EQ(*ParseContentEncoding("GZIP"), ContentCoding::kGzip);
  EXPECT_EQ(*ParseContentEncoding(" deflate "), ContentCoding::kDeflate);
  EXPECT_EQ(*ParseContentEncoding("identity"), ContentCoding::kIdentity);
  absl::StatusOr<ContentCoding> br = ParseContentEncoding("br");
  EXPECT_EQ(br.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(br.status().message()), HasSubstr("\"br\""));
  EXPECT_FALSE(ParseContentEncoding("gzip, deflate").ok());
}

TEST(ContentCodingTest, AcceptEncodingChoice) {
  EXPECT_EQ(ChooseResponseCoding("gzip, deflate"), ContentCoding::kGzip);
  EXPECT_EQ(ChooseResponseCoding("deflate"), ContentCoding::kDeflate);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=0.5, deflate"), ContentCoding::kDeflate);
  EXPECT_EQ(ChooseResponseCoding("gzip;q=0"), std::nullopt);
  EXPECT_EQ(ChooseResponseCoding("br, identity"), std::nullopt);
  EXPECT_EQ(ChooseResponseCoding(""), std::nullopt);
}

}  // namespace
}  // namespace inferd
