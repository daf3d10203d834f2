#include "pipelines/image/image_parameters.h"

#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd::pipelines {
namespace {

absl::Status Invalid(const std::string& name, const std::string& value,
                     std::string_view expected) {
  return absl::InvalidArgumentError(
      StrCat("parameters[\"", name, "\"]: \"", value, "\" is not ", expected));
}

const std::string* Find(const ModelParameters& parameters,
                        const std::string& name) {
  auto it = parameters.find(name);
  return it == parameters.end() ? nullptr : &it->second.string_value();
}

absl::StatusOr<std::vector<float>> FloatList(const ModelParameters& parameters,
                                             const std::string& name) {
  std::vector<float> values;
  const std::string* text = Find(parameters, name);
  if (text == nullptr) return values;
  for (absl::string_view part : absl::StrSplit(*text, ',')) {
    float v;
    if (!absl::SimpleAtof(absl::StripAsciiWhitespace(part), &v) ||
        !std::isfinite(v)) {
      return Invalid(name, *text, "a comma-separated list of numbers");
    }
    values.push_back(v);
  }
  return values;
}

}  // namespace

std::string StringParameter(const ModelParameters& parameters,
                            const std::string& name,
                            const std::string& fallback) {
  const std::string* text = Find(parameters, name);
  return text == nullptr ? fallback : *text;
}

absl::StatusOr<int64_t> IntParameter(const ModelParameters& parameters,
                                     const std::string& name,
                                     int64_t fallback) {
  const std::string* text = Find(parameters, name);
  if (text == nullptr) return fallback;
  int64_t value;
  if (!absl::SimpleAtoi(ToAbsl(*text), &value)) {
    return Invalid(name, *text, "an integer");
  }
  return value;
}

absl::StatusOr<float> FloatParameter(const ModelParameters& parameters,
                                     const std::string& name, float fallback) {
  const std::string* text = Find(parameters, name);
  if (text == nullptr) return fallback;
  float value;
  if (!absl::SimpleAtof(ToAbsl(*text), &value) || !std::isfinite(value)) {
    return Invalid(name, *text, "a number");
  }
  return value;
}

absl::StatusOr<bool> BoolParameter(const ModelParameters& parameters,
                                   const std::string& name, bool fallback) {
  const std::string* text = Find(parameters, name);
  if (text == nullptr) return fallback;
  if (*text == "true") return true;
  if (*text == "false") return false;
  return Invalid(name, *text, "true or false");
}

absl::StatusOr<ImagePreprocessOptions> ParseImagePreprocessOptions(
    const ModelParameters& parameters) {
  ImagePreprocessOptions options;
  if (const std::string* size = Find(parameters, "image_size")) {
    std::vector<absl::string_view> parts = absl::StrSplit(*size, 'x');
    int w = 0, h = 0;
    bool ok = false;
    if (parts.size() == 1) {
      ok = absl::SimpleAtoi(parts[0], &w);
      h = w;
    } else if (parts.size() == 2) {
      ok = absl::SimpleAtoi(parts[0], &w) && absl::SimpleAtoi(parts[1], &h);
    }
    if (!ok || w <= 0 || h <= 0 || w > 16384 || h > 16384) {
      return Invalid("image_size", *size,
                     "a size like \"224\" or \"640x480\" (width x height, "
                     "1..16384)");
    }
    options.width = w;
    options.height = h;
  }
  const std::string mode =
      StringParameter(parameters, "resize_mode", "stretch");
  if (mode == "stretch") {
    options.resize_mode = ResizeMode::kStretch;
  } else if (mode == "letterbox") {
    options.resize_mode = ResizeMode::kLetterbox;
  } else if (mode == "center_crop") {
    options.resize_mode = ResizeMode::kCenterCrop;
  } else {
    return Invalid("resize_mode", mode, "stretch, letterbox or center_crop");
  }
  INFERD_ASSIGN_OR_RETURN(int64_t shorter,
                          IntParameter(parameters, "resize_shorter_side", 0));
  if (shorter < 0 || shorter > 16384) {
    return Invalid("resize_shorter_side", std::to_string(shorter), "0..16384");
  }
  options.resize_shorter_side = static_cast<int>(shorter);
  const std::string interpolation =
      StringParameter(parameters, "interpolation", "linear");
  if (interpolation == "linear") {
    options.interpolation = Interpolation::kLinear;
  } else if (interpolation == "area") {
    options.interpolation = Interpolation::kArea;
  } else if (interpolation == "nearest") {
    options.interpolation = Interpolation::kNearest;
  } else if (interpolation == "cubic") {
    options.interpolation = Interpolation::kCubic;
  } else {
    return Invalid("interpolation", interpolation,
                   "linear, area, nearest or cubic");
  }
  INFERD_ASSIGN_OR_RETURN(
      int64_t pad, IntParameter(parameters, "pad_value", options.pad_value));
  if (pad < 0 || pad > 255) {
    return Invalid("pad_value", std::to_string(pad), "in 0..255");
  }
  options.pad_value = static_cast<int>(pad);
  const std::string order = absl::AsciiStrToUpper(
      StringParameter(parameters, "channel_order", "RGB"));
  if (order == "RGB") {
    options.channel_order = ChannelOrder::kRgb;
  } else if (order == "BGR") {
    options.channel_order = ChannelOrder::kBgr;
  } else if (order == "GRAY" || order == "GRAYSCALE") {
    options.channel_order = ChannelOrder::kGray;
  } else {
    return Invalid("channel_order", order, "RGB, BGR or GRAY");
  }
  INFERD_ASSIGN_OR_RETURN(options.scale,
                          FloatParameter(parameters, "scale", options.scale));
  INFERD_ASSIGN_OR_RETURN(options.mean, FloatList(parameters, "mean"));
  INFERD_ASSIGN_OR_RETURN(options.std, FloatList(parameters, "std"));
  const std::string layout =
      absl::AsciiStrToUpper(StringParameter(parameters, "layout", "NCHW"));
  if (layout == "NCHW") {
    options.layout = TensorLayout::kNchw;
  } else if (layout == "NHWC") {
    options.layout = TensorLayout::kNhwc;
  } else {
    return Invalid("layout", layout, "NCHW or NHWC");
  }
  // Checks the combination (mean/std per channel, ...).
  INFERD_RETURN_IF_ERROR(ImagePreprocessor::Create(options).status());
  return options;
}

absl::StatusOr<DecodeOptions> ParseDecodeOptions(
    const ModelParameters& parameters) {
  DecodeOptions options;
  INFERD_ASSIGN_OR_RETURN(
      options.max_pixels,
      IntParameter(parameters, "max_image_pixels", options.max_pixels));
  if (options.max_pixels <= 0) {
    return Invalid("max_image_pixels", std::to_string(options.max_pixels),
                   "a positive number of pixels");
  }
  const std::string order = absl::AsciiStrToUpper(
      StringParameter(parameters, "channel_order", "RGB"));
  options.grayscale = order == "GRAY" || order == "GRAYSCALE";
  return options;
}

absl::StatusOr<DetectionOptions> ParseDetectionOptions(
    const ModelParameters& parameters) {
  DetectionOptions options;
  INFERD_ASSIGN_OR_RETURN(options.layout, ParseDetectionLayout(StringParameter(
                                              parameters, "output_layout",
                                              "boxes_objectness_classes")));
  INFERD_ASSIGN_OR_RETURN(options.apply_sigmoid,
                          BoolParameter(parameters, "apply_sigmoid", false));
  INFERD_ASSIGN_OR_RETURN(
      options.score_threshold,
      FloatParameter(parameters, "score_threshold", options.score_threshold));
  INFERD_ASSIGN_OR_RETURN(
      options.iou_threshold,
      FloatParameter(parameters, "iou_threshold", options.iou_threshold));
  INFERD_ASSIGN_OR_RETURN(
      int64_t max_detections,
      IntParameter(parameters, "max_detections", options.max_detections));
  if (options.score_threshold < 0 || options.score_threshold > 1) {
    return Invalid("score_threshold", std::to_string(options.score_threshold),
                   "in 0..1");
  }
  if (options.iou_threshold < 0 || options.iou_threshold > 1) {
    return Invalid("iou_threshold", std::to_string(options.iou_threshold),
                   "in 0..1");
  }
  if (max_detections < 1 || max_detections > 100000) {
    return Invalid("max_detections", std::to_string(max_detections),
                   "in 1..100000");
  }
  options.max_detections = static_cast<int>(max_detections);
  return options;
}

}  // namespace inferd::pipelines
