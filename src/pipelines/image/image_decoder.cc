#include "pipelines/image/image_decoder.h"

#include <vector>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "opencv2/core.hpp"
#include "opencv2/imgcodecs.hpp"
#include "pipelines/image/image_header.h"

namespace inferd::pipelines {

absl::StatusOr<cv::Mat> DecodeImage(std::string_view bytes,
                                    const DecodeOptions& options) {
  INFERD_ASSIGN_OR_RETURN(const ImageHeader header, ReadImageHeader(bytes));
  const std::string_view format = ImageFormatName(header.format);
  if (header.width > options.max_pixels / header.height) {
    return absl::InvalidArgumentError(StrCat(
        format, " image of ", header.width, "x", header.height,
        " pixels is above the limit of ", options.max_pixels, " pixels"));
  }
  // imdecode would answer a truncated image with a partly grey picture.
  INFERD_RETURN_IF_ERROR(CheckImageIsComplete(bytes, header));
  // imdecode takes a Mat; this one wraps the caller's bytes without a copy.
  const cv::Mat encoded(1, static_cast<int>(bytes.size()), CV_8UC1,
                        const_cast<char*>(bytes.data()));
  const int flags = options.grayscale ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR;
  cv::Mat image;
  try {
    image = cv::imdecode(encoded, flags);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat("could not decode the ", format, " image: ", e.msg));
  }
  if (image.empty()) {
    return absl::InvalidArgumentError(StrCat(
        "could not decode the ", format, " image (corrupt or truncated data)"));
  }
  // The header is what was checked; a file whose frame disagrees with it
  // (EXIF rotation swaps the sides, nothing else may change the area) is not
  // trusted.
  if (int64_t{image.cols} * image.rows != header.width * header.height) {
    return absl::InvalidArgumentError(StrCat(
        format, " image decodes to ", image.cols, "x", image.rows,
        " pixels but its header declares ", header.width, "x", header.height));
  }
  return image;
}

}  // namespace inferd::pipelines
