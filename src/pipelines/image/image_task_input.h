#pragma once

// The input side shared by the image tasks (image-classification,
// object-detection): gets an instance's encoded image, decodes it within
// the model's pixel limit and preprocesses it into the model's one FP32
// input, keeping the ImageTransform for post-processing.
//
// An instance is an upload (multipart part or raw image/* body), a JSON
// {"b64": "<base64>"} object (TF Serving / KServe v1), or TF Serving's
// named-input form {"<name>": {"b64": ...}} where <name> is the model's
// input name, "image" or "image_bytes". Errors answer that instance only:
// InvalidArgument naming what is wrong with it.
// Immutable after Create; thread-safe.

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "pipelines/image/image_decoder.h"
#include "pipelines/image/image_preprocessor.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::pipelines {

class ImageTaskInput {
 public:
  // Reads the image parameters (image_parameters.h) and checks the model: one
  // TYPE_FP32 input whose dims are the preprocessed image's ([3, H, W] for
  // NCHW RGB, ...), and a batching model.
  static absl::StatusOr<ImageTaskInput> Create(const TaskContext& context);

  // Features with one [1, ...] input row; state holds the ImageTransform.
  absl::StatusOr<Features> Preprocess(const TaskInstance& instance) const;

  const ImagePreprocessor& preprocessor() const { return preprocessor_; }

 private:
  ImageTaskInput(const DecodeOptions& decode, const ImagePreprocessor& p,
                 std::string input_name)
      : decode_(decode), preprocessor_(p), input_name_(std::move(input_name)) {}

  DecodeOptions decode_;
  ImagePreprocessor preprocessor_;
  std::string input_name_;
};

// The encoded bytes of an instance: the upload, or {"b64": ...} decoded,
// also when wrapped as {"<input_name>" | "image" | "image_bytes": {"b64"}}.
absl::StatusOr<std::string> ImageBytesOf(const TaskInstance& instance,
                                         std::string_view input_name);

}  // namespace inferd::pipelines
