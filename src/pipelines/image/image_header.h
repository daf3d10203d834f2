#pragma once

// Format and dimensions of an encoded image, read from its first bytes
// without decoding any pixels, and whether the container holds all of its
// data.
//
// Used to refuse decompression bombs (a few KiB of PNG that declare
// 100000 x 100000 pixels) before a decoder allocates the frame. OpenCV 4.6
// has no public header-only API (cv::ImageDecoder is internal), so the four
// container formats inferd accepts are parsed here; each needs a few fixed
// offsets. Pure functions; thread-safe.

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
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

// OK when `bytes` (whose header ReadImageHeader read as `header`) holds all
// the data its container announces; InvalidArgument saying what is cut short
// otherwise, worded like a decoder failure ("could not decode the JPEG
// image: it is truncated (...)").
//
// OpenCV's imdecode is lenient: libjpeg fills the rest of a JPEG whose scan
// data stops short with grey ("Premature end of JPEG file" goes to stderr,
// not to the caller), and a PNG cut after its last IDAT decodes without a
// word, so a truncated upload would get predictions on a partly grey
// picture. OpenCV 4.6 gives no access to libjpeg's warnings, so the ends are
// checked here, per format:
//   JPEG  the marker segments are walked, and each scan's entropy-coded data
//         (where 0xFF is always stuffed or a restart marker), up to the
//         end-of-image marker FF D9. Walking, rather than looking at the last
//         two bytes, lets bytes after EOI through (zero padding, appended
//         data) and is not fooled by the FF D9 of an embedded EXIF thumbnail.
//   PNG   the chunks are walked by their lengths up to IEND.
//   BMP   the pixel array (uncompressed and bit-field layouts) must fit.
//   WebP  the RIFF container's declared size must fit.
absl::Status CheckImageIsComplete(std::string_view bytes, const ImageHeader& header);

}  // namespace inferd::pipelines
