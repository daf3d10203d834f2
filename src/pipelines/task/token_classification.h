#pragma once

// The token-classification task (named entities): a text in, entities with
// labels, scores and character offsets out, like Hugging Face's
// token-classification pipeline (see entity_grouping.h for the grouping).
//
// config.pbtxt parameters (strings):
//   task                  "token-classification"
//   tokenizer, max_length as text_model_inputs.h
//   labels                labels file, one per line, in output order
//                         ("O", "B-PER", "I-PER", ...); or
//   label_names           "O,B-PER,I-PER"
//   aggregation_strategy  none | simple | first | average | max
//                         (default none, as Hugging Face)
//   ignore_labels         comma-separated labels never reported (default O)
//   output                the logits output (default: the model's first)
// Model output: logits, dims [ -1, num_labels ], FP32.
//
// Instances: "text" or {"text": ...}. Request parameter:
// aggregation_strategy. The prediction is a list of entities:
//   none:   {"entity": "B-PER", "score", "index", "word", "start", "end"}
//   others: {"entity_group": "PER", "score", "word", "start", "end"}
// start/end are character (code point) offsets into the text, as Python's
// `tokenizers` reports them; word is the text between them. Special tokens
// never form entities. A token is part of the previous token's word when
// it carries the WordPiece continuation prefix ("##"); for tokenizers
// without one, when no whitespace separates the two.
// Thread-safe (immutable).

#include <memory>
#include <string>
#include <vector>

#include "pipelines/task/entity_grouping.h"
#include "pipelines/task/task_pipeline.h"
#include "pipelines/task/text_model_inputs.h"

namespace inferd::pipelines {

class TokenClassification : public TaskPipeline {
 public:
  static absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(const TaskContext& context);

  std::string_view task() const override { return "token-classification"; }
  absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const override;
  absl::StatusOr<Features> Preprocess(const TaskInstance& instance,
                                      const TaskParameters& parameters) const override;
  absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const override;
  bool pads_across_requests() const override { return text_.has_attention_mask(); }

  const std::vector<std::string>& labels() const { return labels_; }

 private:
  explicit TokenClassification(TextModelInputs text) : text_(std::move(text)) {}

  TextModelInputs text_;
  size_t output_index_ = 0;
  std::vector<std::string> labels_;
  std::vector<std::string> ignore_;
  Aggregation aggregation_ = Aggregation::kNone;
  std::string continuation_prefix_;  // "##" for WordPiece vocabularies; else empty
};

}  // namespace inferd::pipelines
