#include "pipelines/image/image_parameters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::pipelines {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ModelParameters Params(
    std::initializer_list<std::pair<std::string, std::string>> values) {
  ModelParameters parameters;
  for (const auto& [k, v] : values) parameters[k].set_string_value(v);
  return parameters;
}

TEST(ImageParametersTest, DefaultsWhenNothingIsSet) {
  ImagePreprocessOptions o = ParseImagePreprocessOptions(Params({})).value();
  EXPECT_EQ(o.width, 224);
  EXPECT_EQ(o.resize_mode, ResizeMode::kStretch);
  EXPECT_EQ(o.channel_order, ChannelOrder::kRgb);
  EXPECT_FLOAT_EQ(o.scale, 1.0f / 255);
  DetectionOptions d = ParseDetectionOptions(Params({})).value();
  EXPECT_EQ(d.layout, DetectionLayout::kBoxesObjectnessClasses);
  EXPECT_FLOAT_EQ(d.iou_threshold, 0.45f);
  EXPECT_EQ(ParseDecodeOptions(Params({}))->max_pixels, 40'000'000);
}

TEST(ImageParametersTest, ReadsEverySetting) {
  ModelParameters p = Params({{"image_size", "640x480"},
                              {"resize_mode", "letterbox"},
                              {"interpolation", "area"},
                              {"pad_value", "0"},
                              {"channel_order", "bgr"},
                              {"scale", "1"},
                              {"mean", "0.5, 0.25,0"},
                              {"std", "2,2,2"},
                              {"layout", "NHWC"},
                              {"max_image_pixels", "1000"},
                              {"output_layout", "boxes_classes_transposed"},
                              {"apply_sigmoid", "true"},
                              {"score_threshold", "0.5"},
                              {"iou_threshold", "0.6"},
                              {"max_detections", "7"}});
  ImagePreprocessOptions o = ParseImagePreprocessOptions(p).value();
  EXPECT_EQ(o.width, 640);
  EXPECT_EQ(o.height, 480);
  EXPECT_EQ(o.resize_mode, ResizeMode::kLetterbox);
  EXPECT_EQ(o.interpolation, Interpolation::kArea);
  EXPECT_EQ(o.pad_value, 0);
  EXPECT_EQ(o.channel_order, ChannelOrder::kBgr);
  EXPECT_THAT(o.mean, ElementsAre(0.5f, 0.25f, 0.0f));
  EXPECT_EQ(o.layout, TensorLayout::kNhwc);
  EXPECT_EQ(ParseDecodeOptions(p)->max_pixels, 1000);
  EXPECT_FALSE(ParseDecodeOptions(p)->grayscale);
  DetectionOptions d = ParseDetectionOptions(p).value();
  EXPECT_EQ(d.layout, DetectionLayout::kBoxesClassesTransposed);
  EXPECT_TRUE(d.apply_sigmoid);
  EXPECT_FLOAT_EQ(d.score_threshold, 0.5f);
  EXPECT_EQ(d.max_detections, 7);
  EXPECT_TRUE(
      ParseDecodeOptions(Params({{"channel_order", "GRAY"}}))->grayscale);
}

TEST(ImageParametersTest, ErrorsNameTheParameter) {
  EXPECT_THAT(ParseImagePreprocessOptions(Params({{"image_size", "12y"}}))
                  .status()
                  .message(),
              HasSubstr("parameters[\"image_size\"]"));
  EXPECT_THAT(ParseImagePreprocessOptions(Params({{"resize_mode", "zoom"}}))
                  .status()
                  .message(),
              HasSubstr("parameters[\"resize_mode\"]"));
  EXPECT_THAT(ParseImagePreprocessOptions(Params({{"mean", "1,x,3"}}))
                  .status()
                  .message(),
              HasSubstr("parameters[\"mean\"]"));
  EXPECT_THAT(ParseImagePreprocessOptions(
                  Params({{"channel_order", "GRAY"}, {"mean", "1,2,3"}}))
                  .status()
                  .message(),
              HasSubstr("mean needs 1 values"));
  EXPECT_THAT(ParseDetectionOptions(Params({{"iou_threshold", "2"}}))
                  .status()
                  .message(),
              HasSubstr("parameters[\"iou_threshold\"]"));
  EXPECT_THAT(ParseDetectionOptions(Params({{"apply_sigmoid", "yes"}}))
                  .status()
                  .message(),
              HasSubstr("parameters[\"apply_sigmoid\"]"));
  EXPECT_THAT(ParseDecodeOptions(Params({{"max_image_pixels", "-1"}}))
                  .status()
                  .message(),
              HasSubstr("parameters[\"max_image_pixels\"]"));
}

}  // namespace
}  // namespace inferd::pipelines
