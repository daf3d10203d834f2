#include "pipelines/image/image_header.h"

#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "common/strings.h"

namespace inferd::pipelines {
namespace {

uint32_t Byte(std::string_view b, size_t i) {
  return static_cast<unsigned char>(b[i]);
}
uint32_t Be16(std::string_view b, size_t i) {
  return Byte(b, i) << 8 | Byte(b, i + 1);
}
uint32_t Be32(std::string_view b, size_t i) {
  return Be16(b, i) << 16 | Be16(b, i + 2);
}
uint32_t Le16(std::string_view b, size_t i) {
  return Byte(b, i) | Byte(b, i + 1) << 8;
}
uint32_t Le24(std::string_view b, size_t i) {
  return Le16(b, i) | Byte(b, i + 2) << 16;
}
uint32_t Le32(std::string_view b, size_t i) {
  return Le16(b, i) | Le16(b, i + 2) << 16;
}

absl::Status Truncated(ImageFormat format) {
  return absl::InvalidArgumentError(
      StrCat(ImageFormatName(format), " header is truncated"));
}

absl::StatusOr<ImageHeader> ReadPng(std::string_view b) {
  // Signature (8), IHDR chunk length (4) and type (4), width, height.
  if (b.size() < 24) return Truncated(ImageFormat::kPng);
  if (b.substr(12, 4) != "IHDR") {
    return absl::InvalidArgumentError("PNG does not start with an IHDR chunk");
  }
  return ImageHeader{ImageFormat::kPng, Be32(b, 16), Be32(b, 20)};
}

// Walks the marker segments up to the first start-of-frame (SOFn), which
// holds the frame size. Stops at start-of-scan: no frame header before it.
absl::StatusOr<ImageHeader> ReadJpeg(std::string_view b) {
  size_t i = 2;
  while (true) {
    while (i < b.size() && Byte(b, i) != 0xFF) ++i;  // tolerate junk
    while (i < b.size() && Byte(b, i) == 0xFF) ++i;  // fill bytes
    if (i >= b.size()) return Truncated(ImageFormat::kJpeg);
    const uint32_t marker = Byte(b, i++);
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;
    if (marker == 0xD9 || marker == 0xDA) {
      return absl::InvalidArgumentError("JPEG has no frame header");
    }
    if (i + 2 > b.size()) return Truncated(ImageFormat::kJpeg);
    const uint32_t length = Be16(b, i);
    const bool is_frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 &&
                          marker != 0xC8 && marker != 0xCC;
    if (is_frame) {
      // length (2), precision (1), height (2), width (2).
      if (i + 7 > b.size()) return Truncated(ImageFormat::kJpeg);
      return ImageHeader{ImageFormat::kJpeg, Be16(b, i + 5), Be16(b, i + 3)};
    }
    if (length < 2) {
      return absl::InvalidArgumentError("JPEG has a malformed segment");
    }
    i += length;
  }
}

absl::StatusOr<ImageHeader> ReadBmp(std::string_view b) {
  if (b.size() < 26) return Truncated(ImageFormat::kBmp);
  const uint32_t info_size = Le32(b, 14);
  if (info_size == 12) {  // BITMAPCOREHEADER: 16-bit unsigned sizes
    return ImageHeader{ImageFormat::kBmp, Le16(b, 18), Le16(b, 20)};
  }
  // BITMAPINFOHEADER and later: signed 32-bit; a negative height means the
  // rows are stored top-down.
  const int64_t width = static_cast<int32_t>(Le32(b, 18));
  const int64_t height = static_cast<int32_t>(Le32(b, 22));
  if (width < 0) return absl::InvalidArgumentError("BMP has a negative width");
  return ImageHeader{ImageFormat::kBmp, width, std::llabs(height)};
}

absl::StatusOr<ImageHeader> ReadWebp(std::string_view b) {
  if (b.size() < 30) return Truncated(ImageFormat::kWebp);
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8 ") {  // lossy: key frame start code 9d 01 2a
    if (Byte(b, 23) != 0x9D || Byte(b, 24) != 0x01 || Byte(b, 25) != 0x2A) {
      return absl::InvalidArgumentError("WebP VP8 frame header is malformed");
    }
    return ImageHeader{ImageFormat::kWebp, Le16(b, 26) & 0x3FFF,
                       Le16(b, 28) & 0x3FFF};
  }
  if (chunk == "VP8L") {  // lossless: signature 0x2f, then 14+14 bits
    if (Byte(b, 20) != 0x2F) {
      return absl::InvalidArgumentError("WebP VP8L header is malformed");
    }
    const uint32_t bits = Le32(b, 21);
    return ImageHeader{ImageFormat::kWebp, (bits & 0x3FFF) + 1,
                       ((bits >> 14) & 0x3FFF) + 1};
  }
  if (chunk == "VP8X") {  // extended: 24-bit canvas size minus one
    return ImageHeader{ImageFormat::kWebp, int64_t{Le24(b, 24)} + 1,
                       int64_t{Le24(b, 27)} + 1};
  }
  return absl::InvalidArgumentError(
      "WebP has no VP8, VP8L or VP8X chunk first");
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kWebp:
      return "WebP";
  }
  return "image";
}

absl::StatusOr<ImageHeader> ReadImageHeader(std::string_view bytes) {
  absl::StatusOr<ImageHeader> header;
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) {
    header = ReadPng(bytes);
  } else if (bytes.starts_with("\xFF\xD8\xFF")) {
    header = ReadJpeg(bytes);
  } else if (bytes.starts_with("BM")) {
    header = ReadBmp(bytes);
  } else if (bytes.size() >= 12 && bytes.starts_with("RIFF") &&
             bytes.substr(8, 4) == "WEBP") {
    header = ReadWebp(bytes);
  } else if (bytes.empty()) {
    return absl::InvalidArgumentError("image is empty");
  } else {
    return absl::InvalidArgumentError(
        "not a JPEG, PNG, BMP or WebP image (unrecognised signature)");
  }
  if (header.ok() && (header->width <= 0 || header->height <= 0)) {
    return absl::InvalidArgumentError(
        StrCat(ImageFormatName(header->format), " declares a size of ",
               header->width, "x", header->height));
  }
  return header;
}

}  // namespace inferd::pipelines
