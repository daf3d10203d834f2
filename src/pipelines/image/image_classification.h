#pragma once

// The image-classification task: an image in, its top-k labels with
// probabilities out, like Hugging Face's image-classification pipeline:
//   [{"label": "7", "score": 0.98}, {"label": "1", "score": 0.01}]
//
// config.pbtxt parameters: the image settings of image_parameters.h, and
//   task               "image-classification"
//   labels             labels file in the model folder, one per line, in
//                      output order (default: class ids "0", "1", ...)
//   output             the scores output (default: the model's first),
//                      TYPE_FP32 with dims [ num_classes ]
//   function_to_apply  softmax | none (the output already holds
//                      probabilities); default softmax
//   top_k              labels returned (default 5)
// Request parameters: top_k (1..num_classes).
// Thread-safe (immutable).

#include <memory>
#include <string>
#include <vector>

#include "pipelines/image/image_task_input.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::pipelines {

class ImageClassification : public TaskPipeline {
 public:
  static absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(
      const TaskContext& context);

  std::string_view task() const override { return "image-classification"; }
  absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const override;
  absl::StatusOr<Features> Preprocess(
      const TaskInstance& instance,
      const TaskParameters& parameters) const override;
  absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const override;

 private:
  explicit ImageClassification(ImageTaskInput input)
      : input_(std::move(input)) {}

  ImageTaskInput input_;
  size_t output_index_ = 0;
  int64_t classes_ = 0;
  std::vector<std::string> labels_;
  bool apply_softmax_ = true;
  int64_t top_k_ = 5;
};

}  // namespace inferd::pipelines
