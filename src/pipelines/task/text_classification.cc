#include "pipelines/task/text_classification.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"

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

Tensor IntRow(DataType dtype, const std::vector<int32_t>& values) {
  Tensor t;
  t.dtype = dtype;
  t.shape = {1, static_cast<int64_t>(values.size())};
  if (dtype == DataType::kInt32) {
    t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  } else {
    std::vector<int64_t> wide(values.begin(), values.end());
    t.data.assign(reinterpret_cast<const char*>(wide.data()), wide.size() * 8);
  }
  return t;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> TextClassification::Create(
    const TaskContext& context) {
  TaskSettings settings(context);
  auto task = std::unique_ptr<TextClassification>(new TextClassification());
  const ModelSignature& signature = *context.signature;

  const std::string tokenizer_name = settings.String("tokenizer", "tokenizer.json");
  std::string tokenizer_path;
  if (settings.has("tokenizer")) {
    INFERD_ASSIGN_OR_RETURN(tokenizer_path, settings.File("tokenizer"));
  } else {
    tokenizer_path = StrCat(context.model_dir, "/", tokenizer_name);
  }
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::FromFile(tokenizer_path);
  if (!tokenizer.ok()) {
    return absl::InvalidArgumentError(StrCat("parameters[\"tokenizer\"] (", tokenizer_name,
                                             "): ", tokenizer.status().message()));
  }
  task->tokenizer_ = *std::move(tokenizer);
  INFERD_ASSIGN_OR_RETURN(int64_t max_length, settings.Int("max_length", 512, 2, 65536));
  task->encode_options_ = task->tokenizer_->default_options();
  task->encode_options_.truncation.max_length = static_cast<size_t>(max_length);
  task->encode_options_.padding.strategy = PaddingOptions::Strategy::kNone;

  bool has_ids = false;
  for (const TensorSpec& input : signature.inputs()) {
    Field field;
    if (input.name == "input_ids") {
      field = Field::kIds;
      has_ids = true;
    } else if (input.name == "attention_mask") {
      field = Field::kMask;
    } else if (input.name == "token_type_ids") {
      field = Field::kTypeIds;
    } else {
      return absl::InvalidArgumentError(
          StrCat("model input \"", input.name,
                 "\" is not one of input_ids, attention_mask, token_type_ids"));
    }
    if (input.dtype != DataType::kInt64 && input.dtype != DataType::kInt32) {
      return absl::InvalidArgumentError(StrCat("model input \"", input.name,
                                               "\" must be TYPE_INT64 or TYPE_INT32"));
    }
    if (input.dims.size() != 1) {
      return absl::InvalidArgumentError(
          StrCat("model input \"", input.name, "\" must have dims [ -1 ] (one sequence)"));
    }
    task->fields_.push_back(field);
    task->dtypes_.push_back(input.dtype);
  }
  if (!has_ids) return absl::InvalidArgumentError("the model has no input \"input_ids\"");
  if (!signature.batched()) {
    return absl::InvalidArgumentError("the model must batch (max_batch_size > 0)");
  }

  if (settings.has("output")) {
    INFERD_ASSIGN_OR_RETURN(std::string output, settings.String("output"));
    const int index = FindTensor(signature.outputs(), output);
    if (index < 0) {
      return absl::InvalidArgumentError(
          StrCat("parameters[\"output\"]: the model has no output \"", output, "\""));
    }
    task->output_index_ = static_cast<size_t>(index);
  }
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
  std::string_view text;
  std::optional<std::string_view> pair;
  const json::value& value = *instance.json;
  if (value.is_string()) {
    text = value.get_string();
  } else if (value.is_object()) {
    const json::object& object = value.get_object();
    for (const auto& item : object) {
      if (item.key() != "text" && item.key() != "text_pair") {
        return absl::InvalidArgumentError(StrCat("unknown field \"", item.key(),
                                                 "\"; an instance has text and text_pair"));
      }
    }
    const json::value* t = object.if_contains("text");
    if (t == nullptr || !t->is_string()) {
      return absl::InvalidArgumentError("\"text\" must be a string");
    }
    text = t->get_string();
    if (const json::value* p = object.if_contains("text_pair")) {
      if (!p->is_string()) return absl::InvalidArgumentError("\"text_pair\" must be a string");
      pair = p->get_string();
    }
  } else {
    return absl::InvalidArgumentError(
        "an instance must be a string or {\"text\": ..., \"text_pair\": ...}");
  }
  if (text.empty()) return absl::InvalidArgumentError("the text is empty");
  INFERD_ASSIGN_OR_RETURN(Encoding encoding, tokenizer_->Encode(text, pair, encode_options_));
  Features features;
  features.tokens = static_cast<int64_t>(encoding.size());
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::vector<int32_t>& values = fields_[i] == Field::kIds    ? encoding.ids
                                         : fields_[i] == Field::kMask ? encoding.attention_mask
                                                                      : encoding.type_ids;
    features.inputs.push_back(IntRow(dtypes_[i], values));
  }
  return features;
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
