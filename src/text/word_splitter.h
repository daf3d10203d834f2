#pragma once

// Splits text into the words byte-level BPE merges within, the way the
// regular expression of the vocabulary does. Two patterns:
//
//  - GPT-2's (Hugging Face's ByteLevel pre-tokenizer, GGUF "gpt2" and kin):
//      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|
//       ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//  - Llama 3's (GGUF "llama3", and "qwen2" with one digit per number):
//      (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,D}|
//       ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// Other GGUF pre-tokenizers ("default" for files without the key, falcon,
// deepseek-llm, deepseek-coder) are lists of simpler expressions that
// llama.cpp runs one after the other: Options::stages.
//
// They use \p{L}, \p{N} and the look-ahead \s+(?!\S): RE2 has no look-ahead,
// and these patterns run on every text a tokenizer sees, so each is matched
// by hand, alternative by alternative in the pattern's order, with utf8proc
// for the Unicode classes. This is the one scanner for both the
// tokenizer.json and the GGUF tokenizers; they differ only in what `\s` means
// (ECMAScript's set for the former, whose reference is JavaScript; Unicode's
// White_Space for the latter, whose reference is llama.cpp). Text need not be
// valid UTF-8: an invalid byte is one non-letter, non-number character.
//
// Thread-safe: immutable after construction.

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/normalized_text.h"
#include "text/split_stages.h"

namespace inferd::text {

class WordSplitter {
 public:
  enum class Pattern { kGpt2, kLlama3 };
  enum class Whitespace {
    kJavaScript,  // unicode::IsJsWhitespace
    kUnicode,     // unicode::IsUnicodeWhitespace
  };
  struct Options {
    Pattern pattern = Pattern::kGpt2;
    Whitespace whitespace = Whitespace::kJavaScript;
    int max_digits = 0;               // kLlama3: D above (3 Llama 3, 1 Qwen2)
    bool split_digits_first = false;  // each \p{N} its own word, first
    // When not empty, the pattern instead: llama.cpp's list of expressions
    // run in turn, each splitting the pieces of the one before
    // (split_stages.h; kGpt2 is GPT-2's pattern).
    std::vector<SplitStage> stages;
  };

  explicit WordSplitter(Options options) : options_(options) {}

  // The pattern a GGUF `tokenizer.ggml.pre` value names ("" is GPT-2's).
  // InvalidArgument names an unknown value.
  static absl::StatusOr<WordSplitter> ForGgufPre(std::string_view pre);

  // Appends the words of `text`, in order and covering all of it, as byte
  // ranges offset by `base`.
  void Split(std::string_view text, uint32_t base,
             std::vector<PreTokenizedText::Range>* out) const;

  const Options& options() const { return options_; }

 private:
  void SplitPiece(std::string_view text, uint32_t base,
                  std::vector<PreTokenizedText::Range>* out) const;
  void SplitStaged(std::string_view text, uint32_t base,
                   std::vector<PreTokenizedText::Range>* out) const;

  Options options_;
};

}  // namespace inferd::text
