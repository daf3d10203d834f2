#pragma once

// The object-detection task: an image in, boxes in that image's pixel
// coordinates out, like Hugging Face's object-detection pipeline:
//   [{"label": "circle", "score": 0.93,
//     "box": {"xmin": 12.5, "ymin": 40.1, "xmax": 60.0, "ymax": 88.7}}]
//
// config.pbtxt parameters: the image settings of image_parameters.h (usually
// resize_mode "letterbox"), the detection settings there (output_layout,
// apply_sigmoid, score_threshold, iou_threshold, max_detections), and
//   task      "object-detection"
//   labels    labels file, one class name per line (default: class ids)
//   output    the detections output (default: the model's first), TYPE_FP32
//             with 2 dims as output_layout says (detection.h)
// Request parameters: threshold (score, 0..1), iou_threshold (0..1),
// max_detections (1..100000).
// Thread-safe (immutable).

#include <memory>
#include <string>
#include <vector>

#include "pipelines/image/detection.h"
#include "pipelines/image/image_task_input.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::pipelines {

class ObjectDetection : public TaskPipeline {
 public:
  static absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(
      const TaskContext& context);

  std::string_view task() const override { return "object-detection"; }
  absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const override;
  absl::StatusOr<Features> Preprocess(
      const TaskInstance& instance,
      const TaskParameters& parameters) const override;
  absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const override;

 private:
  explicit ObjectDetection(ImageTaskInput input) : input_(std::move(input)) {}

  ImageTaskInput input_;
  DetectionOptions options_;
  size_t output_index_ = 0;
  Shape output_dims_;
  std::vector<std::string> labels_;
};

}  // namespace inferd::pipelines
