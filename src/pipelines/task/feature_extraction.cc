#include "pipelines/task/feature_extraction.h"

#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

struct Parameters : TaskParameters {
  Pooling pooling = Pooling::kMean;
  bool normalize = false;
};

// Per instance: the attention mask of its tokens (padding added by Collate
// comes after them).
struct State {
  std::vector<int32_t> mask;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> FeatureExtraction::Create(
    const TaskContext& context) {
  INFERD_ASSIGN_OR_RETURN(TextModelInputs text, TextModelInputs::Create(context));
  auto task = std::unique_ptr<FeatureExtraction>(new FeatureExtraction(std::move(text)));
  TaskSettings settings(context);
  const ModelSignature& signature = *context.signature;
  INFERD_ASSIGN_OR_RETURN(task->output_index_, settings.OutputIndex(signature));
  const TensorSpec& output = signature.outputs()[task->output_index_];
  if (output.dtype != DataType::kFp32) {
    return absl::InvalidArgumentError(
        StrCat("model output \"", output.name, "\" must be TYPE_FP32"));
  }
  if (output.dims.size() == 2) {
    task->token_states_ = true;
    task->dimensions_ = output.dims[1];
  } else if (output.dims.size() == 1) {
    task->token_states_ = false;
    task->dimensions_ = output.dims[0];
  } else {
    return absl::InvalidArgumentError(StrCat(
        "model output \"", output.name,
        "\" must have dims [ -1, D ] (token states) or [ D ] (a pooled vector)"));
  }
  if (task->dimensions_ < 0) task->dimensions_ = 0;
  INFERD_ASSIGN_OR_RETURN(std::string pooling,
                          settings.Choice("pooling", {"mean", "cls"}, "mean"));
  INFERD_ASSIGN_OR_RETURN(task->pooling_, ParsePooling(pooling));
  INFERD_ASSIGN_OR_RETURN(task->normalize_, settings.Bool("normalize", false));
  return std::unique_ptr<TaskPipeline>(std::move(task));
}

absl::StatusOr<std::unique_ptr<TaskParameters>> FeatureExtraction::ParseParameters(
    const json::object* parameters) const {
  RequestParameters reader(parameters);
  auto parsed = std::make_unique<Parameters>();
  INFERD_ASSIGN_OR_RETURN(parsed->normalize, reader.Bool("normalize", normalize_));
  INFERD_ASSIGN_OR_RETURN(std::string pooling,
                          reader.Choice("pooling", {"mean", "cls"},
                                        pooling_ == Pooling::kMean ? "mean" : "cls"));
  INFERD_ASSIGN_OR_RETURN(parsed->pooling, ParsePooling(pooling));
  INFERD_RETURN_IF_ERROR(reader.CheckNoOthers());
  return std::unique_ptr<TaskParameters>(std::move(parsed));
}

absl::StatusOr<Features> FeatureExtraction::Preprocess(const TaskInstance& instance,
                                                       const TaskParameters&) const {
  if (instance.json == nullptr) {
    return absl::InvalidArgumentError("feature-extraction takes JSON text instances");
  }
  const json::value& value = *instance.json;
  text::Encoding encoding;
  if (value.is_array()) {
    std::vector<int64_t> ids;
    for (const json::value& id : value.get_array()) {
      if (!id.is_int64() && !id.is_uint64()) {
        return absl::InvalidArgumentError("a token list must hold integers only");
      }
      ids.push_back(id.is_int64() ? id.get_int64() : static_cast<int64_t>(id.get_uint64()));
    }
    INFERD_ASSIGN_OR_RETURN(encoding, text_.FromIds(ids));
  } else {
    absl::StatusOr<InstanceText> text = ReadInstanceText(value, /*pair_allowed=*/false);
    if (!text.ok()) {
      return absl::InvalidArgumentError(
          StrCat(text.status().message(), "; or a list of token ids"));
    }
    INFERD_ASSIGN_OR_RETURN(encoding, text_.Encode(text->text));
  }
  Features features = text_.ToFeatures(encoding);
  features.state = std::make_shared<const State>(State{encoding.attention_mask});
  return features;
}

absl::StatusOr<std::vector<float>> FeatureExtraction::Embedding(
    const Features& features, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  const auto& params = static_cast<const Parameters&>(parameters);
  if (output_index_ >= outputs.size()) {
    return absl::InternalError("the model returned too few outputs");
  }
  const Tensor& output = outputs[output_index_];
  if (output.dtype != DataType::kFp32) {
    return absl::InternalError(StrCat("the model returned ", DataTypeName(output.dtype),
                                      " states, expected FP32"));
  }
  const float* data = output.data_as<float>();
  std::vector<float> vector;
  if (!token_states_) {
    if (output.shape.size() != 2 || output.shape[0] != 1) {
      return absl::InternalError(StrCat("the model returned a vector of shape ",
                                        ShapeToString(output.shape), " for one instance"));
    }
    vector.assign(data, data + output.shape[1]);
  } else {
    const auto* state = std::any_cast<std::shared_ptr<const State>>(&features.state);
    if (state == nullptr || *state == nullptr) {
      return absl::InternalError("feature-extraction: instance state is missing");
    }
    const std::vector<int32_t>& mask = (*state)->mask;
    if (output.shape.size() != 3 || output.shape[0] != 1 ||
        output.shape[1] < static_cast<int64_t>(mask.size())) {
      return absl::InternalError(StrCat("the model returned token states of shape ",
                                        ShapeToString(output.shape), " for ", mask.size(),
                                        " tokens"));
    }
    const size_t dim = static_cast<size_t>(output.shape[2]);
    // Rows past the instance's own tokens are padding from Collate: only
    // the first mask.size() rows are this instance's.
    INFERD_ASSIGN_OR_RETURN(
        vector, Pool(absl::MakeConstSpan(data, mask.size() * dim), mask, dim, params.pooling));
  }
  if (params.normalize) L2Normalize(vector);
  return vector;
}

absl::StatusOr<json::value> FeatureExtraction::Postprocess(
    const Features& features, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  INFERD_ASSIGN_OR_RETURN(std::vector<float> vector, Embedding(features, outputs, parameters));
  json::array out;
  out.reserve(vector.size());
  for (float v : vector) out.emplace_back(static_cast<double>(v));
  return json::value(std::move(out));
}

}  // namespace inferd::pipelines
