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
    preprocessor.alpha_[c] = options.scale / std;
    preprocessor.beta_[c] = -mean / std;
  }
  return preprocessor;
}

ImagePreprocessor::ImagePreprocessor(const ImagePreprocessOptions& options)
    : options_(options), alpha_(3, 1.0), beta_(3, 0.0) {}

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

  // Colour first when it shrinks the data (to gray), after the resize
  // otherwise (BGR -> RGB costs the same on fewer pixels).
  cv::Mat source = image;
  if (options_.channel_order == ChannelOrder::kGray && image.channels() != 1) {
    cv::cvtColor(image, source, cv::COLOR_BGR2GRAY);
  } else if (options_.channel_order != ChannelOrder::kGray &&
             image.channels() == 1) {
    cv::cvtColor(image, source, cv::COLOR_GRAY2BGR);
  }

  cv::Mat fitted;  // width x height, 8-bit
  switch (options_.resize_mode) {
    case ResizeMode::kStretch: {
      fitted = ResizeTo(source, width, height, options_.interpolation);
      transform.scale_x = static_cast<double>(width) / image.cols;
      transform.scale_y = static_cast<double>(height) / image.rows;
      break;
    }
    case ResizeMode::kLetterbox: {
      const double r = std::min(static_cast<double>(width) / image.cols,
                                static_cast<double>(height) / image.rows);
      const int w = std::min(width, RoundedSide(image.cols, r));
      const int h = std::min(height, RoundedSide(image.rows, r));
      const int left = (width - w) / 2;
      const int top = (height - h) / 2;
      cv::Mat resized = ResizeTo(source, w, h, options_.interpolation);
      cv::copyMakeBorder(resized, fitted, top, height - h - top, left,
                         width - w - left, cv::BORDER_CONSTANT,
                         cv::Scalar::all(options_.pad_value));
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
      const int left = (w - width) / 2;
      const int top = (h - height) / 2;
      cv::Mat resized = ResizeTo(source, w, h, options_.interpolation);
      fitted = resized(cv::Rect(left, top, width, height));
      transform.scale_x = static_cast<double>(w) / image.cols;
      transform.scale_y = static_cast<double>(h) / image.rows;
      transform.offset_x = -left;
      transform.offset_y = -top;
      break;
    }
  }
  if (options_.channel_order == ChannelOrder::kRgb) {
    // Into a new matrix: `fitted` may share the caller's pixels.
    cv::Mat rgb;
    cv::cvtColor(fitted, rgb, cv::COLOR_BGR2RGB);
    fitted = rgb;
  }

  // 8-bit -> FP32 with value = pixel * alpha + beta, straight into `out`.
  const int channels = this->channels();
  if (options_.layout == TensorLayout::kNchw) {
    cv::Mat planes[3];
    if (channels == 1) {
      planes[0] = fitted;
    } else {
      cv::split(fitted, planes);
    }
    for (int c = 0; c < channels; ++c) {
      cv::Mat plane(height, width, CV_32FC1,
                    out + static_cast<size_t>(c) * width * height);
      planes[c].convertTo(plane, CV_32F, alpha_[c], beta_[c]);
    }
  } else {
    cv::Mat interleaved(height, width, CV_32FC(channels), out);
    const bool uniform =
        std::equal(alpha_.begin() + 1, alpha_.begin() + channels,
                   alpha_.begin()) &&
        std::equal(beta_.begin() + 1, beta_.begin() + channels, beta_.begin());
    if (uniform) {
      fitted.convertTo(interleaved, CV_32F, alpha_[0], beta_[0]);
    } else {
      fitted.convertTo(interleaved, CV_32F);
      cv::multiply(interleaved, cv::Scalar(alpha_[0], alpha_[1], alpha_[2]),
                   interleaved);
      cv::add(interleaved, cv::Scalar(beta_[0], beta_[1], beta_[2]),
              interleaved);
    }
  }
  return transform;
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
