#pragma once

// Post-processors: wrap the encoded sequence(s) in special tokens and assign
// type ids: BertProcessing ([CLS] A [SEP] B [SEP]), RobertaProcessing
// (<s> A </s></s> B </s>), TemplateProcessing (any layout), ByteLevel (offset
// trimming only) and Sequence (ByteLevel steps plus at most one of the
// others). Type ids follow the reference (@huggingface/tokenizers,
// JavaScript): Roberta gives the whole second part type 1.
//
// Thread-safe: immutable after creation.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/encoding.h"
#include "text/json_fields.h"

namespace inferd::text {

class PostProcessor {
 public:
  // A special token a post-processor inserts (one or more ids).
  struct Special {
    std::vector<int32_t> ids;
    std::vector<std::string> tokens;
    int32_t type_id = 0;
  };
  // Resolves a token string to its id (-1 when unknown).
  using TokenLookup = std::function<int32_t(std::string_view)>;

  virtual ~PostProcessor() = default;

  // Number of tokens Process adds with add_special_tokens.
  virtual int AddedTokens(bool pair) const = 0;

  // Combines `a` and (when non-null) `b` into `out`. `a` and `b` arrive with
  // type ids 0 and sequence ids 0 and 1.
  virtual void Process(const Encoding& a, const Encoding* b,
                       bool add_special_tokens, Encoding* out) const = 0;

  // True when token offsets exclude leading and trailing spaces (ByteLevel
  // with trim_offsets).
  virtual bool trim_offsets() const { return false; }

  // True when Process only concatenates (type ids 0 and 1, no tokens added),
  // so a single sequence can pass through unchanged.
  virtual bool concatenates() const { return false; }

  static absl::StatusOr<std::unique_ptr<PostProcessor>> FromJson(
      const JsonFields& fields, const TokenLookup& lookup);

  // Concatenation with type ids 0 and 1; what a tokenizer without a
  // post-processor does.
  static void Concatenate(const Encoding& a, const Encoding* b, Encoding* out);
};

}  // namespace inferd::text
