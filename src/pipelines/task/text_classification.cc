#include "pipelines/task/text_classification.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"
#include "pipelines/task/text_model_inputs.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

struct Parameters : TaskParameters {
  bool list = false;    // top_k given: answer a list
  size_t top_k = 1;
  TextClassification::Function function = TextClassification::Function::kSoftmax;
};

absl::StatusOr<TextClassification::Function> ParseFunction(const std::string& name) {
  if (name == "softmax") return TextClassification::Function::kSoftmax;
  if (name == "sigmoid") return TextClassification::Function::kSigmoid;
  if (name == "none") return TextClassification::Function::kNone;
  return absl::InvalidArgumentError(StrCat("unknown function \"", name, "\""));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> TextClassification::Create(
    const TaskContext& context) {
  TaskSettings settings(context);
  auto task = std::unique_ptr<TextClassification>(new TextClassification());
  const ModelSignature& signature = *context.signature;

  // Tokenizer, max_length and the input_ids/attention_mask/token_type_ids
  // inputs, as every text task reads them.
  INFERD_ASSIGN_OR_RETURN(TextModelInputs inputs, TextModelInputs::Create(context));
  task->inputs_.emplace(std::move(inputs));

  INFERD_ASSIGN_OR_RETURN(task->output_index_, settings.OutputIndex(signature));
  const TensorSpec& output = signature.outputs()[task->output_index_];
  if (output.dtype != DataType::kFp32 && output.dtype != DataType::kFp64) {
    return absl::InvalidArgumentError(
        StrCat("model output \"", output.name, "\" must be TYPE_FP32 or TYPE_FP64"));
  }
  const int64_t columns = output.dims.size() == 1 ? output.dims[0] : 0;
  if (output.dims.size() != 1) {
    return absl::InvalidArgumentError(
        StrCat("model output \"", output.name, "\" must have dims [ num_labels ]"));
  }

  if (settings.has("labels")) {
    INFERD_ASSIGN_OR_RETURN(std::string path, settings.File("labels"));
    INFERD_ASSIGN_OR_RETURN(task->labels_, ReadLabelsFile(path, "labels"));
  } else if (settings.has("label_names")) {
    INFERD_ASSIGN_OR_RETURN(std::string names, settings.String("label_names"));
    for (absl::string_view name : absl::StrSplit(names, ',', absl::SkipWhitespace())) {
      task->labels_.emplace_back(name);
    }
  } else if (columns > 0) {
    for (int64_t i = 0; i < columns; ++i) task->labels_.push_back(StrCat("LABEL_", i));
  } else {
    return absl::InvalidArgumentError(
        "parameters[\"labels\"] or [\"label_names\"] is required when the output's "
        "dims do not say how many labels there are");
  }
  if (columns > 0 && static_cast<int64_t>(task->labels_.size()) != columns) {
    return absl::InvalidArgumentError(StrCat("the model output \"", output.name, "\" has ",
                                             columns, " columns but there are ",
                                             task->labels_.size(), " labels"));
  }
  INFERD_ASSIGN_OR_RETURN(
      std::string function,
      settings.Choice("function_to_apply", {"softmax", "sigmoid", "none"},
                      task->labels_.size() == 1 ? "sigmoid" : "softmax"));
  INFERD_ASSIGN_OR_RETURN(task->function_, ParseFunction(function));
  return std::unique_ptr<TaskPipeline>(std::move(task));
}

absl::StatusOr<std::unique_ptr<TaskParameters>> TextClassification::ParseParameters(
    const json::object* parameters) const {
  RequestParameters reader(parameters);
  auto parsed = std::make_unique<Parameters>();
  parsed->function = function_;
  parsed->list = reader.has("top_k");
  INFERD_ASSIGN_OR_RETURN(std::optional<int64_t> top_k,
                          reader.Int("top_k", 1, 1, 1 << 20, /*null_allowed=*/true));
  parsed->top_k = top_k ? std::min<size_t>(*top_k, labels_.size()) : labels_.size();
  if (reader.has("function_to_apply")) {
    INFERD_ASSIGN_OR_RETURN(std::string function,
                            reader.Choice("function_to_apply",
                                          {"softmax", "sigmoid", "none"}, "softmax"));
    INFERD_ASSIGN_OR_RETURN(parsed->function, ParseFunction(function));
  }
  INFERD_RETURN_IF_ERROR(reader.CheckNoOthers());
  return std::unique_ptr<TaskParameters>(std::move(parsed));
}

absl::StatusOr<Features> TextClassification::Preprocess(const TaskInstance& instance,
                                                        const TaskParameters&) const {
  if (instance.json == nullptr) {
    return absl::InvalidArgumentError("text-classification takes JSON text instances");
  }
  INFERD_ASSIGN_OR_RETURN(InstanceText text, ReadInstanceText(*instance.json, true));
  INFERD_ASSIGN_OR_RETURN(text::Encoding encoding, inputs_->Encode(text.text, text.pair));
  return inputs_->ToFeatures(encoding);
}

absl::StatusOr<json::value> TextClassification::Postprocess(
    const Features&, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  const auto& params = static_cast<const Parameters&>(parameters);
  if (output_index_ >= outputs.size()) {
    return absl::InternalError("the model returned too few outputs");
  }
  const Tensor& logits = outputs[output_index_];
  if (logits.shape.size() != 2 || logits.shape[0] != 1 ||
      logits.shape[1] != static_cast<int64_t>(labels_.size())) {
    return absl::InternalError(StrCat("the model returned logits of shape ",
                                      ShapeToString(logits.shape), " for ",
                                      labels_.size(), " labels"));
  }
  std::vector<double> scores(labels_.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    scores[i] = logits.dtype == DataType::kFp64 ? logits.data_as<double>()[i]
                                                : logits.data_as<float>()[i];
  }
  switch (params.function) {
    case Function::kSoftmax: {
      const double top = *std::max_element(scores.begin(), scores.end());
      double sum = 0;
      for (double& s : scores) sum += (s = std::exp(s - top));
      for (double& s : scores) s /= sum;
      break;
    }
    case Function::kSigmoid:
      for (double& s : scores) s = 1.0 / (1.0 + std::exp(-s));
      break;
    case Function::kNone:
      break;
  }
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&scores](size_t a, size_t b) { return scores[a] > scores[b]; });
  auto entry = [&](size_t i) {
    return json::object{{"label", labels_[i]}, {"score", scores[i]}};
  };
  if (!params.list) return json::value(entry(order[0]));
  json::array list;
  for (size_t k = 0; k < params.top_k; ++k) list.push_back(entry(order[k]));
  return json::value(std::move(list));
}

}  // namespace inferd::pipelines
