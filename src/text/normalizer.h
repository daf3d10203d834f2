#pragma once

// Normalizers: the first stage of a tokenizer, rewriting the input text
// (Unicode normal forms, lowercasing, accent stripping, BERT's cleanup,
// replacements) while keeping each output byte aligned to the original.
//
// Semantics follow the reference implementation (@huggingface/tokenizers,
// JavaScript), component by component: for example StripAccents removes every
// \p{M} without decomposing first, and BertNormalizer's accent stripping is
// NFD followed by removing \p{Mn}.
//
// Thread-safe: immutable after creation.

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "text/json_fields.h"
#include "text/normalized_text.h"

namespace inferd::text {

class Normalizer {
 public:
  virtual ~Normalizer() = default;

  // Rewrites `text` in place, alignment included.
  virtual void Normalize(NormalizedText* text) const = 0;

  // Normalizes a plain string (alignment discarded).
  std::string NormalizeString(std::string_view text) const {
    NormalizedText t = NormalizedText::FromOriginal(text, 0);
    Normalize(&t);
    return std::move(t.text);
  }

  // Builds the normalizer described by `fields` (a tokenizer.json
  // "normalizer" object). Unknown types are InvalidArgument naming the type.
  static absl::StatusOr<std::unique_ptr<Normalizer>> FromJson(
      const JsonFields& fields);
};

}  // namespace inferd::text
