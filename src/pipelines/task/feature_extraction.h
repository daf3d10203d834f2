#pragma once

// The feature-extraction task: a text in, its embedding out (a sentence
// vector, as sentence-transformers and Hugging Face's feature-extraction
// pipeline with pooling compute it). Also behind POST /v1/embeddings.
//
// config.pbtxt parameters (strings):
//   task        "feature-extraction"
//   tokenizer, max_length   as text_model_inputs.h
//   pooling     mean (over the attention mask; default) | cls
//   normalize   true | false (default false): L2-normalise the vector
//   output      the states output (default: the model's first)
// Model output: token states, dims [ -1, D ] (pooled here), or an already
// pooled vector, dims [ D ] (only normalised here). FP32.
//
// Instances: "text", {"text": ...}, or a list of token ids (used as they
// are, no special tokens added). Request parameters: normalize (bool),
// pooling ("mean" | "cls"). The prediction is the vector, a JSON array of
// numbers.
// Thread-safe (immutable).

#include <memory>
#include <vector>

#include "pipelines/task/pooling.h"
#include "pipelines/task/task_pipeline.h"
#include "pipelines/task/text_model_inputs.h"

namespace inferd::pipelines {

class FeatureExtraction : public TaskPipeline {
 public:
  static absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(const TaskContext& context);

  std::string_view task() const override { return "feature-extraction"; }
  absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const override;
  absl::StatusOr<Features> Preprocess(const TaskInstance& instance,
                                      const TaskParameters& parameters) const override;
  absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const override;
  bool pads_across_requests() const override { return text_.has_attention_mask(); }

  // The pooled (and, as asked, normalised) vector of one instance.
  absl::StatusOr<std::vector<float>> Embedding(const Features& features,
                                               const std::vector<Tensor>& outputs,
                                               const TaskParameters& parameters) const;

  int64_t dimensions() const { return dimensions_; }  // 0 when the config leaves it open
  bool normalize() const { return normalize_; }       // the config's default
  size_t max_length() const { return text_.max_length(); }

 private:
  explicit FeatureExtraction(TextModelInputs text) : text_(std::move(text)) {}

  TextModelInputs text_;
  size_t output_index_ = 0;
  bool token_states_ = true;  // output is [L, D]; false: already pooled [D]
  int64_t dimensions_ = 0;
  Pooling pooling_ = Pooling::kMean;
  bool normalize_ = false;
};

}  // namespace inferd::pipelines
