#include "pipelines/task/generic_classification.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

struct Parameters : TaskParameters {
  size_t top_k = 5;
  std::vector<bool> excluded;  // per catalog item
};

absl::StatusOr<GenericClassification::Function> ParseFunction(const std::string& name) {
  if (name == "none") return GenericClassification::Function::kNone;
  if (name == "softmax") return GenericClassification::Function::kSoftmax;
  if (name == "sigmoid") return GenericClassification::Function::kSigmoid;
  return absl::InvalidArgumentError(StrCat("unknown function \"", name, "\""));
}

bool IsIntegral(DataType dtype) {
  return dtype == DataType::kInt32 || dtype == DataType::kInt64;
}

// Appends `value` to `row` as `dtype`; InvalidArgument naming `where`.
absl::Status AppendNumber(const json::value& value, DataType dtype, const std::string& where,
                          std::string* row) {
  if (!value.is_number()) return absl::InvalidArgumentError(StrCat(where, " must be a number"));
  if (IsIntegral(dtype)) {
    int64_t v;
    if (value.is_int64()) {
      v = value.get_int64();
    } else if (value.is_uint64() &&
               value.get_uint64() <= uint64_t(std::numeric_limits<int64_t>::max())) {
      v = static_cast<int64_t>(value.get_uint64());
    } else if (value.is_double() && std::floor(value.get_double()) == value.get_double() &&
               std::abs(value.get_double()) < 9.0e15) {
      v = static_cast<int64_t>(value.get_double());
    } else {
      return absl::InvalidArgumentError(StrCat(where, " must be an integer"));
    }
    if (dtype == DataType::kInt32) {
      if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
        return absl::InvalidArgumentError(StrCat(where, " is out of the INT32 range"));
      }
      const int32_t narrow = static_cast<int32_t>(v);
      row->append(reinterpret_cast<const char*>(&narrow), 4);
    } else {
      row->append(reinterpret_cast<const char*>(&v), 8);
    }
    return absl::OkStatus();
  }
  const double v = value.to_number<double>();
  if (dtype == DataType::kFp32) {
    const float narrow = static_cast<float>(v);
    row->append(reinterpret_cast<const char*>(&narrow), 4);
  } else {
    row->append(reinterpret_cast<const char*>(&v), 8);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> GenericClassification::Create(
    const TaskContext& context) {
  TaskSettings settings(context);
  auto task = std::unique_ptr<GenericClassification>(new GenericClassification());
  const ModelSignature& signature = *context.signature;
  if (signature.inputs().size() != 1) {
    return absl::InvalidArgumentError(
        StrCat("classification needs a model with one input, this one has ",
               signature.inputs().size()));
  }
  const TensorSpec& input = signature.inputs().front();
  if (!IsIntegral(input.dtype) && input.dtype != DataType::kFp32 &&
      input.dtype != DataType::kFp64) {
    return absl::InvalidArgumentError(StrCat("model input \"", input.name,
                                             "\" must be TYPE_INT32, TYPE_INT64, TYPE_FP32 "
                                             "or TYPE_FP64"));
  }
  if (input.dims.size() != 1 || input.dims[0] < 1) {
    return absl::InvalidArgumentError(
        StrCat("model input \"", input.name, "\" must have fixed dims [ n ]"));
  }
  if (!signature.batched()) {
    return absl::InvalidArgumentError("the model must batch (max_batch_size > 0)");
  }
  task->input_name_ = input.name;
  task->input_dtype_ = input.dtype;
  task->input_width_ = input.dims[0];
  INFERD_ASSIGN_OR_RETURN(task->input_min_,
                          settings.Double("input_min", -std::numeric_limits<double>::infinity()));
  INFERD_ASSIGN_OR_RETURN(task->input_max_,
                          settings.Double("input_max", std::numeric_limits<double>::infinity()));
  if (!(task->input_min_ <= task->input_max_)) {
    return absl::InvalidArgumentError(
        "parameters[\"input_min\"] must not exceed parameters[\"input_max\"]");
  }

  INFERD_ASSIGN_OR_RETURN(task->output_index_, settings.OutputIndex(signature));
  const TensorSpec& output = signature.outputs()[task->output_index_];
  if (output.dtype != DataType::kFp32 || output.dims.size() != 1) {
    return absl::InvalidArgumentError(StrCat("model output \"", output.name,
                                             "\" must be TYPE_FP32 with dims [ num_labels ]"));
  }
  if (settings.has("labels")) {
    INFERD_ASSIGN_OR_RETURN(std::string path, settings.File("labels"));
    absl::StatusOr<ItemCatalog> catalog = ItemCatalog::Load(path);
    if (!catalog.ok()) {
      return absl::InvalidArgumentError(
          StrCat("parameters[\"labels\"]: ", catalog.status().message()));
    }
    task->catalog_ = *std::move(catalog);
  } else if (output.dims[0] > 0) {
    std::vector<std::string> labels;
    for (int64_t i = 0; i < output.dims[0]; ++i) labels.push_back(StrCat("LABEL_", i));
    task->catalog_ = ItemCatalog::FromLabels(labels);
  } else {
    return absl::InvalidArgumentError(
        "parameters[\"labels\"] is required when the output's dims do not say how many "
        "labels there are");
  }
  if (output.dims[0] > 0 && static_cast<size_t>(output.dims[0]) != task->catalog_.size()) {
    return absl::InvalidArgumentError(StrCat("the model output \"", output.name, "\" has ",
                                             output.dims[0], " columns but the catalog has ",
                                             task->catalog_.size(), " items"));
  }
  INFERD_ASSIGN_OR_RETURN(task->top_k_,
                          settings.Int("top_k", std::min<int64_t>(5, task->catalog_.size()), 1,
                                       static_cast<int64_t>(task->catalog_.size())));
  INFERD_ASSIGN_OR_RETURN(std::string function,
                          settings.Choice("function_to_apply", {"none", "softmax", "sigmoid"},
                                          "none"));
  INFERD_ASSIGN_OR_RETURN(task->function_, ParseFunction(function));
  return std::unique_ptr<TaskPipeline>(std::move(task));
}

absl::StatusOr<std::unique_ptr<TaskParameters>> GenericClassification::ParseParameters(
    const json::object* parameters) const {
  RequestParameters reader(parameters);
  auto parsed = std::make_unique<Parameters>();
  const int64_t items = static_cast<int64_t>(catalog_.size());
  INFERD_ASSIGN_OR_RETURN(std::optional<int64_t> top_k, reader.Int("top_k", top_k_, 1, items));
  parsed->top_k = static_cast<size_t>(*top_k);
  if (reader.has("exclude")) {
    const json::value& exclude = parameters->at("exclude");
    if (!exclude.is_array()) {
      return absl::InvalidArgumentError("parameters.exclude must be a list of item ids");
    }
    parsed->excluded.assign(catalog_.size(), false);
    for (const json::value& id : exclude.get_array()) {
      std::optional<size_t> index = catalog_.Find(id);
      if (!index) {
        return absl::InvalidArgumentError(
            StrCat("parameters.exclude: ", json::serialize(id), " is not an item id"));
      }
      parsed->excluded[*index] = true;
    }
  }
  INFERD_RETURN_IF_ERROR(reader.CheckNoOthers());
  return std::unique_ptr<TaskParameters>(std::move(parsed));
}

absl::StatusOr<Features> GenericClassification::Preprocess(const TaskInstance& instance,
                                                           const TaskParameters&) const {
  if (instance.json == nullptr) {
    return absl::InvalidArgumentError("classification takes JSON instances");
  }
  const json::value* value = instance.json;
  if (value->is_object()) {
    const json::object& object = value->get_object();
    for (const auto& item : object) {
      if (item.key() != input_name_) {
        return absl::InvalidArgumentError(StrCat("unknown field \"", item.key(),
                                                 "\"; the model's input is \"", input_name_,
                                                 "\""));
      }
    }
    value = object.if_contains(input_name_);
    if (value == nullptr) {
      return absl::InvalidArgumentError(StrCat("\"", input_name_, "\" is required"));
    }
  }
  std::string row;
  if (value->is_array()) {
    const json::array& values = value->get_array();
    if (static_cast<int64_t>(values.size()) != input_width_) {
      return absl::InvalidArgumentError(StrCat("\"", input_name_, "\" takes ", input_width_,
                                               " values, got ", values.size()));
    }
    for (size_t i = 0; i < values.size(); ++i) {
      const std::string where = StrCat(input_name_, "[", i, "]");
      INFERD_RETURN_IF_ERROR(AppendNumber(values[i], input_dtype_, where, &row));
      INFERD_RETURN_IF_ERROR(CheckRange(values[i], where));
    }
  } else if (input_width_ == 1) {
    INFERD_RETURN_IF_ERROR(AppendNumber(*value, input_dtype_, input_name_, &row));
    INFERD_RETURN_IF_ERROR(CheckRange(*value, input_name_));
  } else {
    return absl::InvalidArgumentError(
        StrCat("an instance must be a list of ", input_width_, " numbers or {\"", input_name_,
               "\": [...]}"));
  }
  Features features;
  Tensor tensor;
  tensor.dtype = input_dtype_;
  tensor.shape = {1, input_width_};
  tensor.data = std::move(row);
  features.inputs.push_back(std::move(tensor));
  return features;
}

absl::Status GenericClassification::CheckRange(const json::value& value,
                                               const std::string& where) const {
  const double v = value.to_number<double>();
  if (v >= input_min_ && v <= input_max_) return absl::OkStatus();
  std::string range;
  if (std::isinf(input_min_)) {
    range = StrCat("at most ", input_max_);
  } else if (std::isinf(input_max_)) {
    range = StrCat("at least ", input_min_);
  } else {
    range = StrCat("in ", input_min_, "..", input_max_);
  }
  return absl::InvalidArgumentError(
      StrCat(where, " is ", json::serialize(value), "; this model takes values ", range));
}

absl::StatusOr<json::value> GenericClassification::Postprocess(
    const Features&, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  const auto& params = static_cast<const Parameters&>(parameters);
  if (output_index_ >= outputs.size()) {
    return absl::InternalError("the model returned too few outputs");
  }
  const Tensor& scores_tensor = outputs[output_index_];
  if (scores_tensor.dtype != DataType::kFp32 || scores_tensor.shape.size() != 2 ||
      scores_tensor.shape[0] != 1 ||
      scores_tensor.shape[1] != static_cast<int64_t>(catalog_.size())) {
    return absl::InternalError(StrCat("the model returned scores of shape ",
                                      ShapeToString(scores_tensor.shape), " for ",
                                      catalog_.size(), " items"));
  }
  const float* raw = scores_tensor.data_as<float>();
  std::vector<float> scores(raw, raw + catalog_.size());
  if (function_ == Function::kSoftmax) {
    const float top = *std::max_element(scores.begin(), scores.end());
    double sum = 0;
    for (float& s : scores) sum += (s = std::exp(s - top));
    for (float& s : scores) s = static_cast<float>(s / sum);
  } else if (function_ == Function::kSigmoid) {
    for (float& s : scores) s = static_cast<float>(1.0 / (1.0 + std::exp(-double(s))));
  }
  json::array out;
  for (const auto& [index, score] : TopK(scores, params.top_k, params.excluded)) {
    json::object item = catalog_.item(index);
    item["score"] = static_cast<double>(score);
    out.push_back(std::move(item));
  }
  return json::value(std::move(out));
}

}  // namespace inferd::pipelines
