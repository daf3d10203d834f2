#pragma once

// Format and dimensions of an encoded image, read from its first bytes
// without decoding any pixels.
//
// Used to refuse decompression bombs (a few KiB of PNG that declare
// 100000 x 100000 pixels) before a decoder allocates the frame. OpenCV 4.6
// has no public header-only API (cv::ImageDecoder is internal), so the four
// container formats inferd accepts are parsed here; each needs a few fixed
// offsets. Pure functions; thread-safe.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace inferd::pipelines {

enum class ImageFormat { kJpeg, kPng, kBmp, kWebp };

// "JPEG", "PNG", "BMP", "WebP".
std::string_view ImageFormatName(ImageFormat format);

struct ImageHeader {
  ImageFormat format = ImageFormat::kPng;
  int64_t width = 0;
  int64_t height = 0;
};

// Recognises JPEG, PNG, BMP and WebP (lossy, lossless, extended) by their
// signatures and reads the declared size. InvalidArgument for any other
// format, a header cut short, or a zero dimension.
absl::StatusOr<ImageHeader> ReadImageHeader(std::string_view bytes);

}  // namespace inferd::pipelines
