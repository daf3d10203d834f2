#include "pipelines/image/image_classification.h"

#include <algorithm>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/image/classification.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

struct Parameters : TaskParameters {
  int64_t top_k = 5;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> ImageClassification::Create(
    const TaskContext& context) {
  INFERD_ASSIGN_OR_RETURN(ImageTaskInput input,
                          ImageTaskInput::Create(context));
  auto task = std::unique_ptr<ImageClassification>(
      new ImageClassification(std::move(input)));
  TaskSettings settings(context);
  const ModelSignature& signature = *context.signature;
  INFERD_ASSIGN_OR_RETURN(task->output_index_, settings.OutputIndex(signature));
  const TensorSpec& output = signature.outputs()[task->output_index_];
  if (output.dtype != DataType::kFp32 || output.dims.size() != 1 ||
      output.dims[0] <= 0) {
    return absl::InvalidArgumentError(
        StrCat("model output \"", output.name,
               "\" must be TYPE_FP32 with dims [ num_classes ]"));
  }
  task->classes_ = output.dims[0];
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> labels,
                          settings.OptionalFile("labels"));
  if (labels) {
    INFERD_ASSIGN_OR_RETURN(task->labels_, ReadLabelsFile(*labels, "labels"));
    if (static_cast<int64_t>(task->labels_.size()) != task->classes_) {
      return absl::InvalidArgumentError(StrCat(
          "parameters[\"labels\"]: ", task->labels_.size(), " labels for the ",
          task->classes_, " classes of output \"", output.name, "\""));
    }
  }
  INFERD_ASSIGN_OR_RETURN(
      std::string function,
      settings.Choice("function_to_apply", {"softmax", "none"}, "softmax"));
  task->apply_softmax_ = function == "softmax";
  INFERD_ASSIGN_OR_RETURN(
      task->top_k_, settings.Int("top_k", std::min<int64_t>(5, task->classes_),
                                 1, task->classes_));
  return std::unique_ptr<TaskPipeline>(std::move(task));
}

absl::StatusOr<std::unique_ptr<TaskParameters>>
ImageClassification::ParseParameters(const json::object* parameters) const {
  RequestParameters reader(parameters);
  auto parsed = std::make_unique<Parameters>();
  INFERD_ASSIGN_OR_RETURN(std::optional<int64_t> top_k,
                          reader.Int("top_k", top_k_, 1, classes_));
  parsed->top_k = *top_k;
  INFERD_RETURN_IF_ERROR(reader.CheckNoOthers());
  return std::unique_ptr<TaskParameters>(std::move(parsed));
}

absl::StatusOr<Features> ImageClassification::Preprocess(
    const TaskInstance& instance, const TaskParameters&) const {
  return input_.Preprocess(instance);
}

absl::StatusOr<json::value> ImageClassification::Postprocess(
    const Features&, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  const auto& params = static_cast<const Parameters&>(parameters);
  if (output_index_ >= outputs.size()) {
    return absl::InternalError("the model returned too few outputs");
  }
  const Tensor& scores = outputs[output_index_];
  if (scores.dtype != DataType::kFp32 || scores.element_count() != classes_) {
    return absl::InternalError(StrCat("the model returned scores of shape ",
                                      ShapeToString(scores.shape), " for ",
                                      classes_, " classes"));
  }
  json::array list;
  for (const ClassScore& c :
       TopKClasses(absl::MakeConstSpan(scores.data_as<float>(), classes_),
                   static_cast<int>(params.top_k), apply_softmax_)) {
    list.push_back(json::object{{"label", LabelOf(labels_, c.class_id)},
                                {"score", c.score}});
  }
  return json::value(std::move(list));
}

}  // namespace inferd::pipelines
