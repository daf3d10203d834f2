#pragma once

// The tokenizer metadata of a GGUF model file (`tokenizer.ggml.*`), as plain
// values: whoever reads the file (backend/llm) fills it in and
// GgufTokenizer::Create builds the tokenizer, so text/ knows nothing of the
// file format.
//
// A value type; strings and arrays are views into the caller's storage (the
// mapped file) and need only outlive GgufTokenizer::Create().

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace inferd::text {

struct GgufVocab {
  // GGUF token types (tokenizer.ggml.token_type).
  enum TokenType : int32_t {
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6,
  };

  std::string_view model;  // tokenizer.ggml.model: "llama" or "gpt2"
  std::string_view pre;    // tokenizer.ggml.pre; empty when absent
  absl::Span<const std::string_view> tokens;  // tokenizer.ggml.tokens
  std::vector<float> scores;         // tokenizer.ggml.scores; empty: all 0
  std::vector<int32_t> token_types;  // tokenizer.ggml.token_type; empty: normal
  // tokenizer.ggml.merges ("left right"); required by "gpt2".
  std::optional<absl::Span<const std::string_view>> merges;
  // tokenizer.ggml.{bos,eos,unknown,eot}_token_id, when present.
  std::optional<uint64_t> bos_token_id;
  std::optional<uint64_t> eos_token_id;
  std::optional<uint64_t> unknown_token_id;
  std::optional<uint64_t> eot_token_id;
  std::optional<bool> add_bos_token;     // tokenizer.ggml.add_bos_token
  std::optional<bool> add_space_prefix;  // tokenizer.ggml.add_space_prefix
};

}  // namespace inferd::text
