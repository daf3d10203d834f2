#include "pipelines/image/object_detection.h"

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/image/classification.h"
#include "pipelines/image/image_parameters.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

struct Parameters : TaskParameters {
  DetectionOptions options;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> ObjectDetection::Create(
    const TaskContext& context) {
  INFERD_ASSIGN_OR_RETURN(ImageTaskInput input,
                          ImageTaskInput::Create(context));
  auto task =
      std::unique_ptr<ObjectDetection>(new ObjectDetection(std::move(input)));
  INFERD_ASSIGN_OR_RETURN(task->options_,
                          ParseDetectionOptions(context.config->parameters()));
  TaskSettings settings(context);
  const ModelSignature& signature = *context.signature;
  INFERD_ASSIGN_OR_RETURN(task->output_index_, settings.OutputIndex(signature));
  const TensorSpec& output = signature.outputs()[task->output_index_];
  task->output_dims_ = output.dims;
  // Checks the dims against output_layout with a zero output of that shape
  // (-1 dims are checked per request instead).
  bool fixed = output.dtype == DataType::kFp32 && output.dims.size() == 2;
  for (int64_t d : output.dims) fixed = fixed && d > 0;
  if (output.dtype != DataType::kFp32 || output.dims.size() != 2) {
    return absl::InvalidArgumentError(
        StrCat("model output \"", output.name,
               "\" must be TYPE_FP32 with 2 dims (see output_layout)"));
  }
  if (fixed) {
    const std::vector<float> zeros(ElementCount(output.dims));
    absl::Status fits =
        DecodeDetections(zeros.data(), output.dims, task->options_).status();
    if (!fits.ok()) {
      return absl::InvalidArgumentError(
          StrCat("model output \"", output.name, "\": ", fits.message()));
    }
  }
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> labels,
                          settings.OptionalFile("labels"));
  if (labels) {
    INFERD_ASSIGN_OR_RETURN(task->labels_, ReadLabelsFile(*labels, "labels"));
  }
  return std::unique_ptr<TaskPipeline>(std::move(task));
}

absl::StatusOr<std::unique_ptr<TaskParameters>>
ObjectDetection::ParseParameters(const json::object* parameters) const {
  RequestParameters reader(parameters);
  auto parsed = std::make_unique<Parameters>();
  parsed->options = options_;
  INFERD_ASSIGN_OR_RETURN(
      double threshold,
      reader.Double("threshold", options_.score_threshold, 0.0, 1.0));
  INFERD_ASSIGN_OR_RETURN(
      double iou,
      reader.Double("iou_threshold", options_.iou_threshold, 0.0, 1.0));
  INFERD_ASSIGN_OR_RETURN(
      std::optional<int64_t> max_detections,
      reader.Int("max_detections", options_.max_detections, 1, 100000));
  INFERD_RETURN_IF_ERROR(reader.CheckNoOthers());
  parsed->options.score_threshold = static_cast<float>(threshold);
  parsed->options.iou_threshold = static_cast<float>(iou);
  parsed->options.max_detections = static_cast<int>(*max_detections);
  return std::unique_ptr<TaskParameters>(std::move(parsed));
}

absl::StatusOr<Features> ObjectDetection::Preprocess(
    const TaskInstance& instance, const TaskParameters&) const {
  return input_.Preprocess(instance);
}

absl::StatusOr<json::value> ObjectDetection::Postprocess(
    const Features& features, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  const auto& params = static_cast<const Parameters&>(parameters);
  if (output_index_ >= outputs.size()) {
    return absl::InternalError("the model returned too few outputs");
  }
  const Tensor& output = outputs[output_index_];
  if (output.dtype != DataType::kFp32 || output.shape.size() != 3 ||
      output.shape[0] != 1) {
    return absl::InternalError(StrCat("the model returned detections of shape ",
                                      ShapeToString(output.shape)));
  }
  const ImageTransform& transform =
      std::any_cast<const ImageTransform&>(features.state);
  absl::StatusOr<std::vector<Detection>> detections = PostprocessDetections(
      output.data_as<float>(), {output.shape[1], output.shape[2]},
      params.options, transform);
  if (!detections.ok())
    return absl::InternalError(detections.status().message());
  json::array list;
  for (const Detection& d : *detections) {
    list.push_back(json::object{{"label", LabelOf(labels_, d.class_id)},
                                {"score", d.score},
                                {"box", json::object{{"xmin", d.box.x1},
                                                     {"ymin", d.box.y1},
                                                     {"xmax", d.box.x2},
                                                     {"ymax", d.box.y2}}}});
  }
  return json::value(std::move(list));
}

}  // namespace inferd::pipelines
