#include "pipelines/image/image_preprocessor.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "common/strings.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"

namespace inferd::pipelines {
namespace {

int CvInterpolation(Interpolation interpolation) {
  switch (interpolation) {
    case Interpolation::kNearest:
      return cv::INTER_NEAREST;
    case Interpolation::kLinear:
      return cv::INTER_LINEAR;
    case Interpolation::kArea:
      return cv::INTER_AREA;
    case Interpolation::kCubic:
      return cv::INTER_CUBIC;
  }
  return cv::INTER_LINEAR;
}

// Resizes unless the size already matches (resize would copy for nothing).
cv::Mat ResizeTo(const cv::Mat& image, int width, int height,
                 Interpolation interpolation) {
  if (image.cols == width && image.rows == height) return image;
  cv::Mat resized;
  cv::resize(image, resized, cv::Size(width, height), 0, 0,
             CvInterpolation(interpolation));
  return resized;
}

int RoundedSide(int side, double scale) {
  return std::max(1, static_cast<int>(std::lround(side * scale)));
}

}  // namespace

absl::StatusOr<ImagePreprocessor> ImagePreprocessor::Create(
    const ImagePreprocessOptions& options) {
  if (options.width <= 0 || options.height <= 0) {
    return absl::InvalidArgumentError(
        StrCat("image size must be positive, got ", options.width, "x",
               options.height));
  }
  if (options.pad_value < 0 || options.pad_value > 255) {
    return absl::InvalidArgumentError(
        StrCat("pad_value must lie in 0..255, got ", options.pad_value));
  }
  if (options.resize_shorter_side < 0) {
    return absl::InvalidArgumentError("resize_shorter_side must be >= 0");
  }
  ImagePreprocessor preprocessor(options);
  const size_t channels = preprocessor.channels();
  for (const auto& [name, values] :
       {std::pair{"mean", &options.mean}, std::pair{"std", &options.std}}) {
    if (!values->empty() && values->size() != channels) {
      return absl::InvalidArgumentError(
          StrCat(name, " needs ", channels, " values (one per channel), got ",
                 values->size()));
    }
  }
  for (float s : options.std) {
    if (!(s != 0.0f) || !std::isfinite(s)) {
      return absl::InvalidArgumentError("std values must be finite, non-zero");
    }
  }
  for (size_t c = 0; c < channels; ++c) {
    const double mean = options.mean.empty() ? 0.0 : options.mean[c];
    const double std = options.std.empty() ? 1.0 : options.std[c];
    const double alpha = options.scale / std;
    const double beta = -mean / std;
    for (int p = 0; p < 256; ++p) {
      preprocessor.lut_[c * 256 + p] = static_cast<float>(p * alpha + beta);
    }
  }
  return preprocessor;
}

ImagePreprocessor::ImagePreprocessor(const ImagePreprocessOptions& options)
    : options_(options), lut_(3 * 256, 0.0f) {}

Shape ImagePreprocessor::image_shape() const {
  if (options_.layout == TensorLayout::kNchw) {
    return {channels(), options_.height, options_.width};
  }
  return {options_.height, options_.width, channels()};
}

size_t ImagePreprocessor::image_elements() const {
  return static_cast<size_t>(channels()) * options_.width * options_.height;
}

ImageTransform ImagePreprocessor::Run(const cv::Mat& image, float* out) const {
  const int width = options_.width;
  const int height = options_.height;
  ImageTransform transform;
  transform.original_width = image.cols;
  transform.original_height = image.rows;

  // To gray before the resize (fewer bytes to resize); channel order and
  // gray-to-colour are left to WriteTensor, which reads any pixel byte.
  cv::Mat source = image;
  if (options_.channel_order == ChannelOrder::kGray && image.channels() != 1) {
    cv::cvtColor(image, source, cv::COLOR_BGR2GRAY);
  }

  cv::Mat content;  // the 8-bit pixels that land in the tensor
  int left = 0, top = 0;  // where content's top-left pixel lands
  switch (options_.resize_mode) {
    case ResizeMode::kStretch: {
      content = ResizeTo(source, width, height, options_.interpolation);
      transform.scale_x = static_cast<double>(width) / image.cols;
      transform.scale_y = static_cast<double>(height) / image.rows;
      break;
    }
    case ResizeMode::kLetterbox: {
      const double r = std::min(static_cast<double>(width) / image.cols,
                                static_cast<double>(height) / image.rows);
      const int w = std::min(width, RoundedSide(image.cols, r));
      const int h = std::min(height, RoundedSide(image.rows, r));
      left = (width - w) / 2;
      top = (height - h) / 2;
      content = ResizeTo(source, w, h, options_.interpolation);
      // The content's own scale per axis (w / cols), not r: rounding the
      // resized size makes them differ by up to half a pixel.
      transform.scale_x = static_cast<double>(w) / image.cols;
      transform.scale_y = static_cast<double>(h) / image.rows;
      transform.offset_x = left;
      transform.offset_y = top;
      break;
    }
    case ResizeMode::kCenterCrop: {
      double r = std::max(static_cast<double>(width) / image.cols,
                          static_cast<double>(height) / image.rows);
      if (options_.resize_shorter_side > 0) {
        r = std::max(r, static_cast<double>(options_.resize_shorter_side) /
                            std::min(image.cols, image.rows));
      }
      const int w = std::max(width, RoundedSide(image.cols, r));
      const int h = std::max(height, RoundedSide(image.rows, r));
      const int crop_left = (w - width) / 2;
      const int crop_top = (h - height) / 2;
      cv::Mat resized = ResizeTo(source, w, h, options_.interpolation);
      content = resized(cv::Rect(crop_left, crop_top, width, height));
      transform.scale_x = static_cast<double>(w) / image.cols;
      transform.scale_y = static_cast<double>(h) / image.rows;
      transform.offset_x = -crop_left;
      transform.offset_y = -crop_top;
      break;
    }
  }
  WriteTensor(content, left, top, out);
  return transform;
}

// One pass from 8-bit pixels to the FP32 tensor: channel reordering, the
// scale/mean/std arithmetic (a 256-entry table per channel) and the
// letterbox border, with no intermediate image. Replacing OpenCV's
// copyMakeBorder + cvtColor + split + convertTo chain (four passes, three
// temporary images) took a 640x640 letterbox from 0.86 to 0.36 ms
// (docs/benchmarks.md).
void ImagePreprocessor::WriteTensor(const cv::Mat& content, int left, int top,
                                    float* out) const {
  const int width = options_.width;
  const int height = options_.height;
  const int channels = this->channels();
  const int pixel_bytes = content.channels();
  // The byte of a content pixel that feeds output channel c (BGR input).
  int source[3] = {0, 0, 0};  // gray input feeds every channel
  if (pixel_bytes >= 3) {  // BGR, or BGRA whose alpha is ignored
    const bool rgb = options_.channel_order == ChannelOrder::kRgb;
    for (int c = 0; c < 3; ++c) source[c] = rgb ? 2 - c : c;
  }
  const float* lut = lut_.data();
  float pad[3];
  for (int c = 0; c < channels; ++c) pad[c] = lut[c * 256 + options_.pad_value];
  const int right = left + content.cols;  // first column past the content
  const size_t plane = static_cast<size_t>(width) * height;

  for (int y = 0; y < height; ++y) {
    const int cy = y - top;
    const bool inside = cy >= 0 && cy < content.rows;
    const uint8_t* row = inside ? content.ptr<uint8_t>(cy) : nullptr;
    if (options_.layout == TensorLayout::kNchw) {
      for (int c = 0; c < channels; ++c) {
        float* dst = out + c * plane + static_cast<size_t>(y) * width;
        if (!inside) {
          std::fill(dst, dst + width, pad[c]);
          continue;
        }
        std::fill(dst, dst + left, pad[c]);
        const float* table = lut + c * 256;
        const uint8_t* src = row + source[c];
        float* at = dst + left;
        for (int x = 0; x < content.cols; ++x) at[x] = table[src[x * pixel_bytes]];
        std::fill(dst + right, dst + width, pad[c]);
      }
    } else {
      float* dst = out + static_cast<size_t>(y) * width * channels;
      for (int x = 0; x < width; ++x) {
        float* pixel = dst + static_cast<size_t>(x) * channels;
        if (!inside || x < left || x >= right) {
          for (int c = 0; c < channels; ++c) pixel[c] = pad[c];
          continue;
        }
        const uint8_t* src = row + static_cast<size_t>(x - left) * pixel_bytes;
        for (int c = 0; c < channels; ++c) pixel[c] = lut[c * 256 + src[source[c]]];
      }
    }
  }
}

Tensor ImagePreprocessor::RunToTensor(const cv::Mat& image,
                                      ImageTransform* transform) const {
  Tensor tensor;
  tensor.dtype = DataType::kFp32;
  tensor.shape = image_shape();
  tensor.shape.insert(tensor.shape.begin(), 1);
  tensor.data.resize(image_elements() * sizeof(float));
  const ImageTransform t = Run(image, tensor.mutable_data_as<float>());
  if (transform != nullptr) *transform = t;
  return tensor;
}

}  // namespace inferd::pipelines
