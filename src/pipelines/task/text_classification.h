#pragma once

// The text-classification task: a sentence (or a sentence pair) in, labels
// with scores out, like Hugging Face's text-classification pipeline.
//
// config.pbtxt parameters (all strings, as Triton's map holds them):
//   task               "text-classification"
//   tokenizer          tokenizer.json file in the model folder
//                      (default "tokenizer.json")
//   max_length         truncation length in tokens, special tokens included
//                      (default 512)
//   labels             labels file, one per line, in output order; or
//   label_names        "NEGATIVE,POSITIVE"; default LABEL_0, LABEL_1, ...
//   function_to_apply  softmax | sigmoid | none (default: sigmoid for one
//                      output column, softmax otherwise)
//   output             the logits output (default: the model's first)
// Model inputs, by name: input_ids (required), attention_mask and
// token_type_ids (each optional), INT32 or INT64, [-1] per row. Output:
// logits [num_labels], FP32 or FP64.
//
// Instances: "text", {"text": ..., "text_pair": ...}. Request parameters:
// top_k (default: the best label as {"label", "score"}; a number or null:
// a list of that many, or all, best first) and function_to_apply.
// Thread-safe (immutable).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pipelines/task/task_pipeline.h"
#include "pipelines/task/text_model_inputs.h"

namespace inferd::pipelines {

class TextClassification : public TaskPipeline {
 public:
  enum class Function { kSoftmax, kSigmoid, kNone };

  static absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(const TaskContext& context);

  std::string_view task() const override { return "text-classification"; }
  absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const override;
  absl::StatusOr<Features> Preprocess(const TaskInstance& instance,
                                      const TaskParameters& parameters) const override;
  absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const override;
  bool pads_across_requests() const override { return inputs_->has_attention_mask(); }

  const std::vector<std::string>& labels() const { return labels_; }

 private:
  TextClassification() = default;

  std::optional<TextModelInputs> inputs_;  // set by Create
  size_t output_index_ = 0;
  std::vector<std::string> labels_;
  Function function_ = Function::kSoftmax;
};

}  // namespace inferd::pipelines
