#pragma once

// Splits text into words before byte-level BPE, the way the regular
// expression named by GGUF's `tokenizer.ggml.pre` does.
//
// The patterns (GPT-2's, Llama 3's, Qwen2's) use \p{L}, \p{N} and the
// look-ahead \s+(?!\S); RE2 has no look-ahead and std::regex no Unicode
// classes, so each pattern is matched by hand here, alternative by
// alternative in the pattern's order, with utf8proc for the Unicode classes.
// Thread-safe: immutable after construction.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd::llm {

class PreTokenizer {
 public:
  enum class Style {
    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
    // ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    kGpt2,
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}|
    //  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
    kLlama3,
  };
  struct Options {
    Style style = Style::kGpt2;
    int max_digits = 0;               // kLlama3: D above (3 Llama 3, 1 Qwen2)
    bool split_digits_first = false;  // \p{N} pass before the main pattern
  };

  // Maps a `tokenizer.ggml.pre` value to its pattern; error names unknown ones.
  static absl::StatusOr<PreTokenizer> ForName(std::string_view pre);
  explicit PreTokenizer(Options options) : options_(options) {}

  // Byte ranges of `text` as words, in order, covering all of it.
  std::vector<std::string_view> Split(std::string_view text) const;

 private:
  Options options_;
};

}  // namespace inferd::llm
