#include "pipelines/image/image_header.h"

#include <cstdlib>
#include <cstring>
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

// ---------------------------------------------------- completeness

absl::Status Cut(const ImageHeader& header, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("could not decode the ",
                                           ImageFormatName(header.format),
                                           " image: it is truncated (", what, ")"));
}

// Skips one scan's entropy-coded data from `i`; returns the position of the
// marker that ends it, or npos when the data runs out first.
size_t SkipScanData(std::string_view b, size_t i) {
  while (true) {
    const void* ff = std::memchr(b.data() + i, 0xFF, b.size() - i);
    if (ff == nullptr) return std::string_view::npos;
    i = static_cast<size_t>(static_cast<const char*>(ff) - b.data());
    if (i + 1 >= b.size()) return std::string_view::npos;
    const uint32_t next = Byte(b, i + 1);
    if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
      i += 2;  // stuffed 0xFF, or a restart marker inside the scan
    } else if (next == 0xFF) {
      ++i;  // fill byte before a marker
    } else {
      return i;
    }
  }
}

absl::Status CheckJpeg(std::string_view b, const ImageHeader& header) {
  size_t i = 2;  // past SOI
  while (true) {
    while (i < b.size() && Byte(b, i) != 0xFF) ++i;  // tolerate junk, as decoders do
    while (i < b.size() && Byte(b, i) == 0xFF) ++i;  // fill bytes
    if (i >= b.size()) return Cut(header, "no end-of-image marker");
    const uint32_t marker = Byte(b, i++);
    if (marker == 0xD9) return absl::OkStatus();  // EOI; what follows is not ours
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) continue;  // no length
    if (i + 2 > b.size()) return Cut(header, "a marker segment is cut short");
    const size_t length = Be16(b, i);
    if (length < 2) {
      return absl::InvalidArgumentError("could not decode the JPEG image: malformed segment");
    }
    if (i + length > b.size()) return Cut(header, "a marker segment is cut short");
    i += length;
    if (marker == 0xDA) {  // start of scan: entropy-coded data up to the next marker
      i = SkipScanData(b, i);
      if (i == std::string_view::npos) {
        return Cut(header, "the scan data ends before the end-of-image marker");
      }
    }
  }
}

absl::Status CheckPng(std::string_view b, const ImageHeader& header) {
  size_t i = 8;  // past the signature
  while (true) {
    // length (4), type (4), data (length), CRC (4)
    if (b.size() - i < 12) return Cut(header, "no IEND chunk");
    const size_t length = Be32(b, i);
    if (length > b.size() - i - 12) return Cut(header, "a chunk is cut short");
    if (b.substr(i + 4, 4) == "IEND") return absl::OkStatus();
    i += 12 + length;
  }
}

absl::Status CheckBmp(std::string_view b, const ImageHeader& header) {
  const uint32_t info_size = Le32(b, 14);
  uint32_t bits = 0;
  uint32_t compression = 0;
  if (info_size == 12) {
    bits = Le16(b, 24);
  } else {
    if (b.size() < 34) return Cut(header, "the info header is cut short");
    bits = Le16(b, 28);
    compression = Le32(b, 30);
  }
  // BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS store rows of fixed size; the
  // run-length encodings (1, 2) are left to the decoder.
  if (compression != 0 && compression != 3 && compression != 6) return absl::OkStatus();
  const int64_t offset = Le32(b, 10);
  const int64_t row = (header.width * bits + 31) / 32 * 4;
  const int64_t needed = offset + row * header.height;
  if (needed > static_cast<int64_t>(b.size())) {
    return Cut(header, StrCat("its pixels need ", needed, " bytes, it has ", b.size()));
  }
  return absl::OkStatus();
}

absl::Status CheckWebp(std::string_view b, const ImageHeader& header) {
  const uint64_t declared = uint64_t{Le32(b, 4)} + 8;
  if (declared > b.size()) {
    return Cut(header, StrCat("its RIFF container declares ", declared, " bytes, it has ",
                              b.size()));
  }
  return absl::OkStatus();
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

absl::Status CheckImageIsComplete(std::string_view bytes, const ImageHeader& header) {
  switch (header.format) {
    case ImageFormat::kJpeg:
      return CheckJpeg(bytes, header);
    case ImageFormat::kPng:
      return CheckPng(bytes, header);
    case ImageFormat::kBmp:
      return CheckBmp(bytes, header);
    case ImageFormat::kWebp:
      return CheckWebp(bytes, header);
  }
  return absl::OkStatus();
}

}  // namespace inferd::pipelines
