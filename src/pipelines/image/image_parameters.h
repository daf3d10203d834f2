#pragma once

// Reads the image settings of a vision model from its config.pbtxt
// `parameters` (all values are strings, as in Triton):
//
//   image_size           "224" (square) or "640x480" (width x height)
//   resize_mode          stretch | letterbox | center_crop   (stretch)
//   resize_shorter_side  center_crop: shorter side before the crop (0: cover)
//   interpolation        linear | area | nearest | cubic     (linear)
//   pad_value            letterbox border pixel value 0..255 (114)
//   channel_order        RGB | BGR | GRAY                    (RGB)
//   scale                pixel multiplier (0.00392156862745098 = 1/255) mean,
//   std            comma-separated, one per channel, applied after scale layout
//   NCHW | NHWC                         (NCHW) max_image_pixels decoded-size
//   limit per image        (40000000)
//
// and, for object detection (see detection.h for the layouts):
//
//   output_layout        boxes_objectness_classes | boxes_classes |
//                        boxes_classes_transposed    (boxes_objectness_classes)
//   apply_sigmoid        true | false                        (false)
//   score_threshold      0.25;  iou_threshold 0.45;  max_detections 100
//
// Errors are InvalidArgument naming the parameter (parameters["scale"]: ...).
// Pure functions.

#include <string>

#include "absl/status/statusor.h"
#include "config/model_config.pb.h"
#include "pipelines/image/detection.h"
#include "pipelines/image/image_decoder.h"
#include "pipelines/image/image_preprocessor.h"

namespace inferd::pipelines {

using ModelParameters =
    google::protobuf::Map<std::string, config::ModelParameter>;

absl::StatusOr<ImagePreprocessOptions> ParseImagePreprocessOptions(
    const ModelParameters& parameters);

// max_image_pixels; grayscale follows channel_order.
absl::StatusOr<DecodeOptions> ParseDecodeOptions(
    const ModelParameters& parameters);

absl::StatusOr<DetectionOptions> ParseDetectionOptions(
    const ModelParameters& parameters);

// Typed getters: `fallback` when the parameter is absent.
absl::StatusOr<int64_t> IntParameter(const ModelParameters& parameters,
                                     const std::string& name, int64_t fallback);
absl::StatusOr<float> FloatParameter(const ModelParameters& parameters,
                                     const std::string& name, float fallback);
absl::StatusOr<bool> BoolParameter(const ModelParameters& parameters,
                                   const std::string& name, bool fallback);
std::string StringParameter(const ModelParameters& parameters,
                            const std::string& name,
                            const std::string& fallback);

}  // namespace inferd::pipelines
