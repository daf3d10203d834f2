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
  return ImageTaskInput(decode, preprocessor, input.name);
}

namespace {

// {"b64": ...} itself, or the value of the one named-input key wrapping it
// (`*path` becomes "<key>.b64" then, for error messages).
const boost::json::object* B64Object(const boost::json::object& object,
                                     std::string_view input_name, std::string* path) {
  if (object.size() != 1) return nullptr;
  if (object.contains("b64")) return &object;
  const auto& [key, value] = *object.begin();
  const std::string_view name(key.data(), key.size());
  if (name != input_name && name != "image" && name != "image_bytes") return nullptr;
  const boost::json::object* inner = value.if_object();
  if (inner == nullptr || inner->size() != 1 || !inner->contains("b64")) return nullptr;
  *path = StrCat(name, ".b64");
  return inner;
}

}  // namespace

absl::StatusOr<std::string> ImageBytesOf(const TaskInstance& instance,
                                         std::string_view input_name) {
  if (instance.json == nullptr) return instance.bytes;
  const boost::json::object* object = instance.json->if_object();
  std::string path = "b64";
  const boost::json::object* wrapper =
      object != nullptr ? B64Object(*object, input_name, &path) : nullptr;
  if (wrapper == nullptr) {
    return absl::InvalidArgumentError(StrCat(
        "an image instance must be {\"b64\": \"<base64 image>\"}, {\"", input_name,
        "\": {\"b64\": ...}} or an upload"));
  }
  const boost::json::value& b64 = wrapper->at("b64");
  if (!b64.is_string()) {
    return absl::InvalidArgumentError(StrCat("\"", path, "\" must be a string"));
  }
  const boost::json::string& text = b64.get_string();
  absl::StatusOr<std::string> bytes =
      DecodeBase64(std::string_view(text.data(), text.size()));
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        StrCat("\"", path, "\" ", bytes.status().message()));
  }
  return bytes;
}

absl::StatusOr<Features> ImageTaskInput::Preprocess(
    const TaskInstance& instance) const {
  INFERD_ASSIGN_OR_RETURN(const std::string bytes, ImageBytesOf(instance, input_name_));
  INFERD_ASSIGN_OR_RETURN(const cv::Mat image, DecodeImage(bytes, decode_));
  Features features;
  ImageTransform transform;
  features.inputs.push_back(preprocessor_.RunToTensor(image, &transform));
  features.rows = 1;
  features.state = transform;
  return features;
}

}  // namespace inferd::pipelines
