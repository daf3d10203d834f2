#include "pipelines/image/image_decoder.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "pipelines/image/image_header.h"

namespace inferd::pipelines {
namespace {

using ::testing::HasSubstr;

// A width x height BGR image whose pixels encode their position.
cv::Mat Pattern(int width, int height) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 10, y * 20, 100);
    }
  }
  return image;
}

std::string Encode(const cv::Mat& image, const std::string& ext,
                   const std::vector<int>& params = {}) {
  std::vector<uchar> buffer;
  EXPECT_TRUE(cv::imencode(ext, image, buffer, params));
  return std::string(buffer.begin(), buffer.end());
}

void PutBe32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>(v >> (24 - 8 * i));
}

TEST(ImageHeaderTest, ReadsTheSizeOfEveryAcceptedFormat) {
  const cv::Mat image = Pattern(13, 7);
  struct Case {
    std::string ext;
    std::vector<int> params;
    ImageFormat format;
  };
  const std::vector<Case> cases = {
      {".png", {}, ImageFormat::kPng},
      {".jpg", {}, ImageFormat::kJpeg},
      {".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}, ImageFormat::kJpeg},
      {".bmp", {}, ImageFormat::kBmp},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 90}, ImageFormat::kWebp},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}, ImageFormat::kWebp},  // VP8L
  };
  for (const Case& c : cases) {
    absl::StatusOr<ImageHeader> header =
        ReadImageHeader(Encode(image, c.ext, c.params));
    ASSERT_TRUE(header.ok()) << c.ext << ": " << header.status();
    EXPECT_EQ(header->format, c.format) << c.ext;
    EXPECT_EQ(header->width, 13) << c.ext;
    EXPECT_EQ(header->height, 7) << c.ext;
  }
}

TEST(ImageHeaderTest, RefusesUnknownEmptyAndTruncatedInput) {
  EXPECT_THAT(ReadImageHeader("GIF89a......").status().message(),
              HasSubstr("not a JPEG, PNG, BMP or WebP"));
  EXPECT_THAT(ReadImageHeader("").status().message(), HasSubstr("empty"));
  const std::string png = Encode(Pattern(4, 4), ".png");
  EXPECT_THAT(ReadImageHeader(png.substr(0, 20)).status().message(),
              HasSubstr("PNG header is truncated"));
  const std::string jpeg = Encode(Pattern(4, 4), ".jpg");
  EXPECT_THAT(ReadImageHeader(jpeg.substr(0, 6)).status().message(),
              HasSubstr("JPEG header is truncated"));
}

TEST(ImageDecoderTest, DecodesPngLosslesslyInBgrOrder) {
  const cv::Mat image = Pattern(9, 6);
  absl::StatusOr<cv::Mat> decoded = DecodeImage(Encode(image, ".png"), {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->type(), CV_8UC3);
  EXPECT_EQ(cv::norm(*decoded, image, cv::NORM_INF), 0);
}

TEST(ImageDecoderTest, GrayscaleGivesOneChannel) {
  cv::Mat gray(3, 5, CV_8UC1, cv::Scalar(77));
  DecodeOptions options;
  options.grayscale = true;
  absl::StatusOr<cv::Mat> decoded = DecodeImage(Encode(gray, ".png"), options);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->type(), CV_8UC1);
  EXPECT_EQ(decoded->at<uchar>(2, 4), 77);
}

TEST(ImageDecoderTest, PixelLimitIsInclusive) {
  const std::string png = Encode(Pattern(100, 50), ".png");
  DecodeOptions options;
  options.max_pixels = 5000;
  EXPECT_TRUE(DecodeImage(png, options).ok());
  options.max_pixels = 4999;
  absl::StatusOr<cv::Mat> refused = DecodeImage(png, options);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("PNG image of 100x50 pixels is above the limit of "
                        "4999 pixels"));
}

TEST(ImageDecoderTest, RefusesDecompressionBombBeforeDecoding) {
  // A valid 8x8 PNG whose IHDR is patched to declare 100000 x 100000: the
  // decoder would allocate 30 GB; the header check refuses it.
  std::string bomb = Encode(Pattern(8, 8), ".png");
  PutBe32(bomb, 16, 100000);
  PutBe32(bomb, 20, 100000);
  absl::StatusOr<cv::Mat> refused = DecodeImage(bomb, {});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(refused.status().message(),
              HasSubstr("100000x100000 pixels is above the limit"));
}

TEST(ImageDecoderTest, CorruptDataIsInvalidArgument) {
  const std::string png = Encode(Pattern(32, 32), ".png");
  std::string corrupt = png.substr(0, 40);  // header intact, pixels cut
  absl::StatusOr<cv::Mat> decoded = DecodeImage(corrupt, {});
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(),
              HasSubstr("could not decode the PNG image"));

  std::string jpeg = Encode(Pattern(32, 32), ".jpg");
  for (size_t i = jpeg.size() / 2; i < jpeg.size(); ++i) jpeg[i] = '\xff';
  jpeg.resize(jpeg.size() / 2 + 4);
  decoded = DecodeImage(jpeg, {});
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);

  EXPECT_EQ(DecodeImage("not an image at all", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// imdecode itself answers each of these cut files with a picture (libjpeg
// fills the missing rows with grey); the decoder must refuse them.
TEST(ImageDecoderTest, TruncatedImagesAreRefused) {
  const cv::Mat image = Pattern(64, 48);
  struct Case {
    std::string ext;
    std::vector<int> params;
  };
  const std::vector<Case> cases = {
      {".jpg", {}},
      {".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1}},
      {".jpg", {cv::IMWRITE_JPEG_RST_INTERVAL, 1}},
      {".png", {}},
      {".bmp", {}},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 90}},
      {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}},
  };
  for (const Case& c : cases) {
    const std::string full = Encode(image, c.ext, c.params);
    SCOPED_TRACE(c.ext + " of " + std::to_string(full.size()) + " bytes");
    ASSERT_TRUE(DecodeImage(full, {}).ok());
    for (size_t keep : {full.size() / 2, full.size() - 1}) {
      absl::StatusOr<cv::Mat> decoded = DecodeImage(full.substr(0, keep), {});
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << keep;
      EXPECT_THAT(decoded.status().message(), HasSubstr("image: it is truncated")) << keep;
    }
  }
  // The case the check exists for: OpenCV alone decodes half a JPEG.
  const std::string jpeg = Encode(image, ".jpg");
  const std::string half = jpeg.substr(0, jpeg.size() / 2);
  EXPECT_FALSE(cv::imdecode(std::vector<uchar>(half.begin(), half.end()),
                            cv::IMREAD_COLOR)
                   .empty());
}

TEST(ImageDecoderTest, PngWithoutIendIsRefused) {
  const std::string png = Encode(Pattern(16, 16), ".png");
  ASSERT_EQ(png.substr(png.size() - 8, 4), "IEND");
  absl::StatusOr<cv::Mat> decoded = DecodeImage(png.substr(0, png.size() - 12), {});
  EXPECT_THAT(decoded.status().message(), HasSubstr("truncated (no IEND chunk)"));
}

TEST(ImageDecoderTest, BytesAfterTheEndOfAJpegAreAccepted) {
  const std::string jpeg = Encode(Pattern(16, 16), ".jpg");
  EXPECT_TRUE(DecodeImage(jpeg + std::string(100, '\0'), {}).ok());
  EXPECT_TRUE(DecodeImage(jpeg + "appended by some camera", {}).ok());
}

TEST(ImageDecoderTest, EndMarkerOfAnEmbeddedThumbnailDoesNotCount) {
  // An APP1 segment holding a whole JPEG (an EXIF thumbnail, end marker
  // included) right after SOI, then the picture: cutting the picture must
  // still be noticed.
  const std::string picture = Encode(Pattern(64, 48), ".jpg");
  const std::string thumbnail = Encode(Pattern(8, 8), ".jpg");
  std::string app1 = "\xFF\xE1";
  const size_t length = thumbnail.size() + 2;
  app1 += static_cast<char>(length >> 8);
  app1 += static_cast<char>(length & 0xFF);
  app1 += thumbnail;
  const std::string full = picture.substr(0, 2) + app1 + picture.substr(2);
  absl::StatusOr<cv::Mat> decoded = DecodeImage(full, {});
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->cols, 64);
  decoded = DecodeImage(full.substr(0, full.size() - picture.size() / 2), {});
  EXPECT_THAT(decoded.status().message(), HasSubstr("it is truncated"));
}

}  // namespace
}  // namespace inferd::pipelines
