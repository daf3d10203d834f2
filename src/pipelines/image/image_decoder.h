#pragma once

// Decodes JPEG, PNG, BMP and WebP bytes into 8-bit pixels with OpenCV,
// refusing images whose declared size is above a pixel limit before any
// pixel is decoded (decompression bombs), and images whose data is cut short
// (which OpenCV would decode into a partly grey picture).
//
// Errors a client can cause (unknown format, corrupt or truncated data, too
// many pixels) are InvalidArgument; callers prefix the instance they came
// from. Thread-safe: OpenCV's imdecode keeps no shared state.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "opencv2/core/mat.hpp"

namespace inferd::pipelines {

struct DecodeOptions {
  // Largest width x height accepted. 40 megapixels fits any camera photo
  // and bounds a decoded frame to 120 MB (3 bytes per pixel).
  int64_t max_pixels = 40'000'000;
  // true: one channel (luma); false: three channels in OpenCV's BGR order.
  // Alpha is dropped, 16-bit images are scaled to 8 bits, and a JPEG's EXIF
  // orientation is applied.
  bool grayscale = false;
};

// Returns a CV_8UC3 (BGR) or CV_8UC1 matrix.
absl::StatusOr<cv::Mat> DecodeImage(std::string_view bytes,
                                    const DecodeOptions& options);

}  // namespace inferd::pipelines
