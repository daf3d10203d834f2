#pragma once

// The result of encoding one text (or text pair): ids and everything a model
// input or a task output needs alongside them.
//
// Offsets are byte ranges of the UTF-8 input the token came from (the first
// text for sequence_ids 0, the pair's second text for 1); special and padding
// tokens have {0, 0}. A token that covers part of a character (byte-level BPE
// splitting a multi-byte character) reports the whole character, as the Rust
// tokenizers do. CharOffsets() converts to character indices: code points
// (what Python's `tokenizers` reports) or UTF-16 code units (JavaScript
// string indices). @huggingface/tokenizers in JavaScript reports no offsets
// at all; its encode() returns ids, tokens and the attention mask only.
//
// A value type.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/normalized_text.h"

namespace inferd::text {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  std::vector<std::string> tokens;
  std::vector<Span> offsets;               // bytes of the input text
  std::vector<int32_t> sequence_ids;       // 0, 1, or -1 (special, padding)
  std::vector<int32_t> attention_mask;     // 1 for tokens, 0 for padding
  std::vector<int32_t> special_tokens_mask;  // 1 for special and padding
  // With truncation and a stride: the windows that did not fit, each
  // processed (special tokens, padding) like the main encoding.
  std::vector<Encoding> overflowing;

  size_t size() const { return ids.size(); }

  enum class CharUnit { kCodePoint, kUtf16 };
  // Offsets as character indices into `text` (for sequence 0) and `pair`
  // (for sequence 1); special and padding tokens keep {0, 0}.
  std::vector<Span> CharOffsets(std::string_view text,
                                std::string_view pair = {},
                                CharUnit unit = CharUnit::kCodePoint) const;
};

// Converts byte offsets in `text` to character indices; `offsets` must lie
// on character boundaries.
class ByteToCharIndex {
 public:
  ByteToCharIndex(std::string_view text, Encoding::CharUnit unit);
  uint32_t operator()(uint32_t byte) const { return index_[byte]; }

 private:
  std::vector<uint32_t> index_;  // one per byte, plus the end
};

}  // namespace inferd::text
