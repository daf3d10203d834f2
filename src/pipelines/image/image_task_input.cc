#include "pipelines/image/image_task_input.h"

#include <utility>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/image/base64.h"
#include "pipelines/image/image_parameters.h"

namespace inferd::pipelines {

absl::StatusOr<ImageTaskInput> ImageTaskInput::Create(
    const TaskContext& context) {
  const ModelParameters& parameters = context.config->parameters();
  INFERD_ASSIGN_OR_RETURN(DecodeOptions decode, ParseDecodeOptions(parameters));
  INFERD_ASSIGN_OR_RETURN(ImagePreprocessOptions options,
                          ParseImagePreprocessOptions(parameters));
  INFERD_ASSIGN_OR_RETURN(ImagePreprocessor preprocessor,
                          ImagePreprocessor::Create(options));
  const ModelSignature& signature = *context.signature;
  if (!signature.batched()) {
    return absl::InvalidArgumentError(
        "an image task needs a batching model (max_batch_size > 0)");
  }
  if (signature.inputs().size() != 1) {
    return absl::InvalidArgumentError(
        StrCat("an image task needs a model with one input (the image), "
               "this one has ",
               signature.inputs().size()));
  }
  const TensorSpec& input = signature.inputs()[0];
  const Shape expected = preprocessor.image_shape();
  if (input.dtype != DataType::kFp32 || input.dims != expected) {
    return absl::InvalidArgumentError(StrCat(
        "model input \"", input.name, "\" must be TYPE_FP32 with dims ",
        ShapeToString(expected),
        " to match parameters image_size, channel_order and layout; it has "
        "dims ",
        ShapeToString(input.dims)));
  }
  return ImageTaskInput(decode, preprocessor);
}

absl::StatusOr<std::string> ImageBytesOf(const TaskInstance& instance) {
  if (instance.json == nullptr) return instance.bytes;
  const boost::json::value& value = *instance.json;
  const boost::json::object* object = value.if_object();
  const boost::json::value* b64 =
      object != nullptr ? object->if_contains("b64") : nullptr;
  if (b64 == nullptr || object->size() != 1) {
    return absl::InvalidArgumentError(
        "an image instance must be {\"b64\": \"<base64 image>\"} or an upload");
  }
  if (!b64->is_string()) {
    return absl::InvalidArgumentError("\"b64\" must be a string");
  }
  const boost::json::string& text = b64->get_string();
  absl::StatusOr<std::string> bytes =
      DecodeBase64(std::string_view(text.data(), text.size()));
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        StrCat("\"b64\" ", bytes.status().message()));
  }
  return bytes;
}

absl::StatusOr<Features> ImageTaskInput::Preprocess(
    const TaskInstance& instance) const {
  INFERD_ASSIGN_OR_RETURN(const std::string bytes, ImageBytesOf(instance));
  INFERD_ASSIGN_OR_RETURN(const cv::Mat image, DecodeImage(bytes, decode_));
  Features features;
  ImageTransform transform;
  features.inputs.push_back(preprocessor_.RunToTensor(image, &transform));
  features.rows = 1;
  features.state = transform;
  return features;
}

}  // namespace inferd::pipelines
