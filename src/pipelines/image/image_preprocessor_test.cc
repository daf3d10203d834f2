#include "pipelines/image/image_preprocessor.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace inferd::pipelines {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

ImagePreprocessOptions Raw(int width, int height) {
  ImagePreprocessOptions options;
  options.width = width;
  options.height = height;
  options.scale = 1.0f;  // outputs are pixel values
  options.channel_order = ChannelOrder::kGray;
  return options;
}

std::vector<float> Preprocess(const ImagePreprocessOptions& options,
                              const cv::Mat& image, ImageTransform* transform) {
  absl::StatusOr<ImagePreprocessor> p = ImagePreprocessor::Create(options);
  EXPECT_TRUE(p.ok()) << p.status();
  std::vector<float> out(p->image_elements(), -1.0f);
  *transform = p->Run(image, out.data());
  return out;
}

// 4 x 2 gray image:  10 20 30 40
//                    50 60 70 80
cv::Mat Gray4x2() {
  return (cv::Mat_<uchar>(2, 4) << 10, 20, 30, 40, 50, 60, 70, 80);
}

TEST(ImagePreprocessorTest, StretchAveragesBlocksWithAreaInterpolation) {
  ImagePreprocessOptions options = Raw(2, 1);
  options.interpolation = Interpolation::kArea;
  ImageTransform t;
  // Means of the 2x2 blocks: (10+20+50+60)/4, (30+40+70+80)/4.
  EXPECT_THAT(Preprocess(options, Gray4x2(), &t), ElementsAre(35.0f, 55.0f));
  EXPECT_DOUBLE_EQ(t.scale_x, 0.5);
  EXPECT_DOUBLE_EQ(t.scale_y, 0.5);
  EXPECT_DOUBLE_EQ(t.ToOriginalX(2), 4);
  EXPECT_DOUBLE_EQ(t.ToOriginalY(1), 2);
}

TEST(ImagePreprocessorTest, StretchUpsamplesWithNearest) {
  ImagePreprocessOptions options = Raw(8, 2);
  options.interpolation = Interpolation::kNearest;
  ImageTransform t;
  EXPECT_THAT(Preprocess(options, Gray4x2(), &t),
              ElementsAre(10, 10, 20, 20, 30, 30, 40, 40,  //
                          50, 50, 60, 60, 70, 70, 80, 80));
  EXPECT_DOUBLE_EQ(t.scale_x, 2);
}

TEST(ImagePreprocessorTest, LetterboxPadsTopAndBottomAndRecordsOffset) {
  ImagePreprocessOptions options = Raw(4, 4);
  options.resize_mode = ResizeMode::kLetterbox;
  options.pad_value = 114;
  ImageTransform t;
  // Already 4 wide: no resize; 2 rows of padding split 1 above, 1 below.
  EXPECT_THAT(Preprocess(options, Gray4x2(), &t),
              ElementsAre(114, 114, 114, 114,  //
                          10, 20, 30, 40,      //
                          50, 60, 70, 80,      //
                          114, 114, 114, 114));
  EXPECT_DOUBLE_EQ(t.scale_x, 1);
  EXPECT_DOUBLE_EQ(t.offset_x, 0);
  EXPECT_DOUBLE_EQ(t.offset_y, 1);
  EXPECT_DOUBLE_EQ(t.ToOriginalY(3), 2);  // bottom edge of the content
}

TEST(ImagePreprocessorTest, LetterboxDownscalesAndMapsBack) {
  // 8 x 4 -> 2 x 2: scale 1/4 (width bound), content 2 x 1 at row 0 (the
  // one row of padding goes below: top = floor(1 / 2) = 0).
  cv::Mat image(4, 8, CV_8UC1, cv::Scalar(200));
  image(cv::Rect(4, 0, 4, 4)).setTo(100);
  ImagePreprocessOptions options = Raw(2, 2);
  options.resize_mode = ResizeMode::kLetterbox;
  options.interpolation = Interpolation::kArea;
  options.pad_value = 0;
  ImageTransform t;
  EXPECT_THAT(Preprocess(options, image, &t), ElementsAre(200, 100, 0, 0));
  EXPECT_DOUBLE_EQ(t.scale_x, 0.25);
  EXPECT_DOUBLE_EQ(t.scale_y, 0.25);
  EXPECT_DOUBLE_EQ(t.offset_y, 0);
  EXPECT_DOUBLE_EQ(t.ToOriginalX(1), 4);
}

TEST(ImagePreprocessorTest, LetterboxOddPaddingPutsTheExtraPixelLast) {
  // 6 x 2 -> 6 x 5: 3 rows of padding, 1 above and 2 below.
  cv::Mat image(2, 6, CV_8UC1, cv::Scalar(9));
  ImagePreprocessOptions options = Raw(6, 5);
  options.resize_mode = ResizeMode::kLetterbox;
  options.pad_value = 1;
  ImageTransform t;
  std::vector<float> out = Preprocess(options, image, &t);
  std::vector<float> column;
  for (int y = 0; y < 5; ++y) column.push_back(out[y * 6]);
  EXPECT_THAT(column, ElementsAre(1, 9, 9, 1, 1));
  EXPECT_DOUBLE_EQ(t.offset_y, 1);
}

TEST(ImagePreprocessorTest, CenterCropKeepsTheMiddle) {
  ImagePreprocessOptions options = Raw(2, 2);
  options.resize_mode = ResizeMode::kCenterCrop;
  ImageTransform t;
  // Height 2 already covers: no resize; crop columns 1..2.
  EXPECT_THAT(Preprocess(options, Gray4x2(), &t), ElementsAre(20, 30, 60, 70));
  EXPECT_DOUBLE_EQ(t.offset_x, -1);
  EXPECT_DOUBLE_EQ(t.ToOriginalX(0), 1);
}

TEST(ImagePreprocessorTest, CenterCropAfterShorterSideResize) {
  // 4 x 2 with the shorter side resized to 4 (nearest, x2) -> 8 x 4, then
  // the middle 2 x 2: rows 1..2, columns 3..4 of the doubled image.
  ImagePreprocessOptions options = Raw(2, 2);
  options.resize_mode = ResizeMode::kCenterCrop;
  options.resize_shorter_side = 4;
  options.interpolation = Interpolation::kNearest;
  ImageTransform t;
  EXPECT_THAT(Preprocess(options, Gray4x2(), &t), ElementsAre(20, 30, 60, 70));
  EXPECT_DOUBLE_EQ(t.scale_x, 2);
  EXPECT_DOUBLE_EQ(t.offset_x, -3);
  EXPECT_DOUBLE_EQ(t.offset_y, -1);
  EXPECT_DOUBLE_EQ(t.ToOriginalX(0), 1.5);
}

TEST(ImagePreprocessorTest, ChannelOrderScaleMeanStdNchw) {
  cv::Mat pixel(1, 2, CV_8UC3, cv::Scalar(10, 20, 30));  // B, G, R
  pixel.at<cv::Vec3b>(0, 1) = cv::Vec3b(40, 50, 60);
  ImagePreprocessOptions options;
  options.width = 2;
  options.height = 1;
  options.scale = 0.1f;
  options.mean = {1, 2, 3};  // R, G, B after the reorder
  options.std = {2, 4, 0.5};
  ImageTransform t;
  // RGB planes: R = (3, 6), G = (2, 5), B = (1, 4) after scale.
  EXPECT_THAT(
      Preprocess(options, pixel, &t),
      testing::Pointwise(
          testing::FloatNear(1e-5),
          std::vector<float>{(3 - 1) / 2.0f, (6 - 1) / 2.0f, (2 - 2) / 4.0f,
                             (5 - 2) / 4.0f, (1 - 3) / 0.5f, (4 - 3) / 0.5f}));
  options.channel_order = ChannelOrder::kBgr;
  options.mean = {};
  options.std = {};
  options.scale = 1;
  EXPECT_THAT(Preprocess(options, pixel, &t),
              ElementsAre(10, 40, 20, 50, 30, 60));
}

TEST(ImagePreprocessorTest, NhwcInterleavesChannels) {
  cv::Mat pixel(1, 2, CV_8UC3, cv::Scalar(10, 20, 30));
  pixel.at<cv::Vec3b>(0, 1) = cv::Vec3b(40, 50, 60);
  ImagePreprocessOptions options;
  options.width = 2;
  options.height = 1;
  options.scale = 1;
  options.layout = TensorLayout::kNhwc;
  ImageTransform t;
  EXPECT_THAT(Preprocess(options, pixel, &t),
              ElementsAre(30, 20, 10, 60, 50, 40));
  options.mean = {0, 10, 20};
  EXPECT_THAT(Preprocess(options, pixel, &t),
              ElementsAre(30, 10, -10, 60, 40, 20));
}

TEST(ImagePreprocessorTest, GrayFromColourAndColourFromGray) {
  cv::Mat white(1, 1, CV_8UC3, cv::Scalar(255, 255, 255));
  ImageTransform t;
  EXPECT_THAT(Preprocess(Raw(1, 1), white, &t), ElementsAre(255));
  ImagePreprocessOptions rgb = Raw(1, 1);
  rgb.channel_order = ChannelOrder::kRgb;
  cv::Mat gray(1, 1, CV_8UC1, cv::Scalar(7));
  EXPECT_THAT(Preprocess(rgb, gray, &t), ElementsAre(7, 7, 7));
}

// The tensor the straightforward OpenCV chain gives for a letterbox without
// resize: border, BGR->RGB, split (or not, NHWC), float conversion.
std::vector<float> OpenCvLetterbox(const cv::Mat& image, int width, int height,
                                   int pad, float scale, const float mean[3],
                                   const float std[3], TensorLayout layout) {
  const int top = (height - image.rows) / 2, left = (width - image.cols) / 2;
  cv::Mat bordered, rgb;
  cv::copyMakeBorder(image, bordered, top, height - image.rows - top, left,
                     width - image.cols - left, cv::BORDER_CONSTANT,
                     cv::Scalar::all(pad));
  cv::cvtColor(bordered, rgb, cv::COLOR_BGR2RGB);
  cv::Mat planes[3];
  cv::split(rgb, planes);
  std::vector<float> out(3 * width * height);
  for (int c = 0; c < 3; ++c) {
    cv::Mat value;
    planes[c].convertTo(value, CV_32F, scale / std[c], -mean[c] / std[c]);
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        const size_t at = layout == TensorLayout::kNchw
                              ? (static_cast<size_t>(c) * height + y) * width + x
                              : (static_cast<size_t>(y) * width + x) * 3 + c;
        out[at] = value.at<float>(y, x);
      }
    }
  }
  return out;
}

TEST(ImagePreprocessorTest, OnePassWriterMatchesTheOpenCvChain) {
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float std[3] = {0.229f, 0.224f, 0.225f};
  cv::RNG rng(3);
  // Wide (padded above and below) and tall (padded left and right).
  for (const cv::Size size : {cv::Size(24, 10), cv::Size(9, 24)}) {
    cv::Mat image(size, CV_8UC3);
    rng.fill(image, cv::RNG::UNIFORM, 0, 256);
    for (TensorLayout layout : {TensorLayout::kNchw, TensorLayout::kNhwc}) {
      ImagePreprocessOptions options;
      options.width = options.height = 24;
      options.resize_mode = ResizeMode::kLetterbox;
      options.pad_value = 114;
      options.mean.assign(mean, mean + 3);
      options.std.assign(std, std + 3);
      options.layout = layout;
      ImageTransform t;
      const std::vector<float> got = Preprocess(options, image, &t);
      const std::vector<float> want =
          OpenCvLetterbox(image, 24, 24, 114, options.scale, mean, std, layout);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-5f) << size << " element " << i;
      }
    }
  }
}

TEST(ImagePreprocessorTest, LeavesTheCallersImageUntouched) {
  cv::Mat image(2, 2, CV_8UC3, cv::Scalar(1, 2, 3));
  const cv::Mat copy = image.clone();
  ImagePreprocessOptions options;
  options.width = 2;
  options.height = 2;
  ImageTransform t;
  Preprocess(options, image, &t);
  EXPECT_EQ(cv::norm(image, copy, cv::NORM_INF), 0);
}

TEST(ImagePreprocessorTest, TensorShapeFollowsLayout) {
  ImagePreprocessOptions options;
  options.width = 5;
  options.height = 3;
  ImagePreprocessor nchw = ImagePreprocessor::Create(options).value();
  EXPECT_THAT(nchw.image_shape(), ElementsAre(3, 3, 5));
  Tensor tensor =
      nchw.RunToTensor(cv::Mat(6, 10, CV_8UC3, cv::Scalar(255)), nullptr);
  EXPECT_THAT(tensor.shape, ElementsAre(1, 3, 3, 5));
  EXPECT_EQ(tensor.data.size(), 45 * sizeof(float));
  EXPECT_FLOAT_EQ(tensor.data_as<float>()[44], 1.0f);
  options.layout = TensorLayout::kNhwc;
  EXPECT_THAT(ImagePreprocessor::Create(options)->image_shape(),
              ElementsAre(3, 5, 3));
}

TEST(ImagePreprocessorTest, CreateRefusesBadOptions) {
  ImagePreprocessOptions options;
  options.mean = {0.5f};
  EXPECT_THAT(ImagePreprocessor::Create(options).status().message(),
              HasSubstr("mean needs 3 values"));
  options.mean = {};
  options.std = {1, 0, 1};
  EXPECT_THAT(ImagePreprocessor::Create(options).status().message(),
              HasSubstr("non-zero"));
  options.std = {};
  options.pad_value = 300;
  EXPECT_THAT(ImagePreprocessor::Create(options).status().message(),
              HasSubstr("pad_value"));
  options.pad_value = 0;
  options.width = 0;
  EXPECT_FALSE(ImagePreprocessor::Create(options).ok());
}

}  // namespace
}  // namespace inferd::pipelines
