#pragma once

// Turns a decoded image into the FP32 input tensor of a vision model: resize
// (stretch, letterbox, or shorter-side resize + center crop), channel order,
// scale, per-channel mean/std, NCHW or NHWC layout.
//
// Every resize mode returns the ImageTransform that maps model-input pixel
// coordinates back to the original image, so detection boxes come back in
// the coordinates of the picture the client sent.
// Immutable after Create; Run() is thread-safe.

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"
#include "tensor/tensor.h"

namespace inferd::pipelines {

enum class ResizeMode {
  kStretch,     // to width x height, aspect ratio not kept
  kLetterbox,   // fit inside, keep aspect ratio, pad the rest (YOLO)
  kCenterCrop,  // cover (shorter side), keep aspect ratio, crop the middle
};
enum class ChannelOrder { kRgb, kBgr, kGray };
enum class Interpolation { kNearest, kLinear, kArea, kCubic };
enum class TensorLayout { kNchw, kNhwc };

// Maps model-input pixel coordinates to original-image coordinates:
// original = (input - offset) / scale, per axis.
struct ImageTransform {
  int original_width = 0;
  int original_height = 0;
  double scale_x = 1;  // input pixels per original pixel
  double scale_y = 1;
  double offset_x = 0;  // input coordinate of the original's left edge
  double offset_y = 0;

  double ToOriginalX(double x) const { return (x - offset_x) / scale_x; }
  double ToOriginalY(double y) const { return (y - offset_y) / scale_y; }
};

struct ImagePreprocessOptions {
  int width = 224;  // model input size in pixels
  int height = 224;
  ResizeMode resize_mode = ResizeMode::kStretch;
  Interpolation interpolation = Interpolation::kLinear;
  // kCenterCrop: the shorter side is resized to this many pixels before the
  // crop (torchvision's Resize(256) + CenterCrop(224)); 0 resizes just
  // enough to cover width x height. Never less than that.
  int resize_shorter_side = 0;
  int pad_value = 114;  // kLetterbox border, a pixel value in 0..255
  ChannelOrder channel_order = ChannelOrder::kRgb;
  // value = (pixel * scale - mean[c]) / std[c]; empty mean: 0, empty std: 1;
  // otherwise one entry per channel.
  float scale = 1.0f / 255.0f;
  std::vector<float> mean;
  std::vector<float> std;
  TensorLayout layout = TensorLayout::kNchw;
};

class ImagePreprocessor {
 public:
  // InvalidArgument naming the option for sizes <= 0, a pad value outside
  // 0..255, a mean/std that is not one value per channel, or a zero std.
  static absl::StatusOr<ImagePreprocessor> Create(
      const ImagePreprocessOptions& options);

  const ImagePreprocessOptions& options() const { return options_; }
  int channels() const {
    return options_.channel_order == ChannelOrder::kGray ? 1 : 3;
  }
  // [C, H, W] or [H, W, C]: one image, without a batch dimension.
  Shape image_shape() const;
  size_t image_elements() const;

  // Preprocesses `image` (CV_8UC3 in BGR order or CV_8UC1, as DecodeImage
  // returns) into image_elements() floats at `out`.
  ImageTransform Run(const cv::Mat& image, float* out) const;

  // One image as a [1, ...image_shape()] FP32 tensor.
  Tensor RunToTensor(const cv::Mat& image, ImageTransform* transform) const;

 private:
  explicit ImagePreprocessor(const ImagePreprocessOptions& options);
  // Writes `content` (8-bit BGR or gray) into the tensor at `out` with its
  // top-left pixel at (left, top); the rest is pad_value.
  void WriteTensor(const cv::Mat& content, int left, int top, float* out) const;

  ImagePreprocessOptions options_;
  // lut_[c * 256 + pixel]: the tensor value of `pixel` in output channel c,
  // (pixel * scale - mean[c]) / std[c].
  std::vector<float> lut_;
};

}  // namespace inferd::pipelines
