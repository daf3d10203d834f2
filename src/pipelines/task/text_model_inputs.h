#pragma once

// What text tasks over a transformer share (feature-extraction,
// token-classification): the model's tokenizer, its truncation length, and
// which of the model's inputs carries what (input_ids, attention_mask,
// token_type_ids), so one encoding becomes one row of every input.
//
// config.pbtxt parameters it reads:
//   tokenizer   tokenizer.json in the model folder (default "tokenizer.json";
//               a GGUF embedding model uses the one its file carries)
//   max_length  truncation length in tokens, special tokens included
//               (default 512)
// Model inputs, by name: input_ids (required), attention_mask and
// token_type_ids (optional), TYPE_INT64 or TYPE_INT32, dims [ -1 ]; the
// model must batch (max_batch_size > 0).
//
// Immutable after Create; thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "pipelines/task/task_pipeline.h"
#include "text/tokenizer.h"

namespace inferd::pipelines {

class TextModelInputs {
 public:
  // InvalidArgument naming the parameter or model input that is wrong.
  static absl::StatusOr<TextModelInputs> Create(const TaskContext& context);

  // Tokenizes with special tokens and truncation to max_length, no padding.
  absl::StatusOr<text::Encoding> Encode(std::string_view text,
                                  std::optional<std::string_view> pair = std::nullopt) const;

  // Already tokenized ids (the caller's, used as they are: no special
  // tokens added). InvalidArgument when empty, longer than max_length, or an
  // id is outside the vocabulary.
  absl::StatusOr<text::Encoding> FromIds(absl::Span<const int64_t> ids) const;

  // One row [1, tokens] of every model input, in config order.
  Features ToFeatures(const text::Encoding& encoding) const;

  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  // Whether the model takes an attention_mask, i.e. padding cannot change
  // its answer for the real tokens.
  bool has_attention_mask() const;
  size_t max_length() const { return options_.truncation.max_length; }

 private:
  enum class Field { kIds, kMask, kTypeIds };

  std::shared_ptr<const text::Tokenizer> tokenizer_;
  text::EncodeOptions options_;
  std::vector<Field> fields_;     // per model input, config order
  std::vector<DataType> dtypes_;  // per model input
};

// The JSON text of an instance: a string, or {"text": ..., "text_pair": ...}
// when `pair_allowed`. InvalidArgument naming what is wrong; an empty text
// is an error.
struct InstanceText {
  std::string_view text;
  std::optional<std::string_view> pair;
};
absl::StatusOr<InstanceText> ReadInstanceText(const boost::json::value& value,
                                              bool pair_allowed);

}  // namespace inferd::pipelines
