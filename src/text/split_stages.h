#pragma once

// The single-class pre-tokenizer stages of llama.cpp's byte-level BPE
// vocabularies (GGUF `tokenizer.ggml.pre`), for WordSplitter's staged
// patterns. llama.cpp runs a list of regular expressions in turn: each one
// splits every piece the previous one left into its matches and the gaps
// between them (a gap is a piece too). Each stage here is one such expression
// with one character class, matched by hand as WordSplitter does (no
// look-around, no regex engine on the hot path):
//
//   kPunctSymbols      [\p{P}$+<=>^~|]+        ("default")
//   kPunctSymbolsTick  [\p{P}$+<=>^~|`]+       (falcon)
//   kNumbers           \p{N}+
//   kAsciiDigits3      [0-9]{3}
//   kNumber            \p{N}
//   kNewline           [\r\n]
//   kSpaceLetters      \s?\p{L}+               (deepseek-coder)
//   kSpacePunct        \s?\p{P}+               (deepseek-coder)
//   kCjk               [\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+
//   kSpaceCased        \s?\p{LC}+              (deepseek-llm: its class is
//                                               the cased letters Lu Ll Lt)
//   kSpaceDsPunct      \s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}
//                         \x{2018}-\x{201F}\x{3000}-\x{3002}]+ (deepseek-llm)
//   kTrailingSpace     \s+$                    (end of the piece)
//
// `\s` is Unicode's White_Space, as in llama.cpp.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string_view>
#include <vector>

#include "text/normalized_text.h"

namespace inferd::text {

enum class SplitStage : uint8_t {
  kGpt2,  // GPT-2's pattern; WordSplitter runs this one itself
  kPunctSymbols,
  kPunctSymbolsTick,
  kNumbers,
  kAsciiDigits3,
  kNumber,
  kNewline,
  kSpaceLetters,
  kSpacePunct,
  kCjk,
  kSpaceCased,
  kSpaceDsPunct,
  kTrailingSpace,
};

// Appends the matches of `stage` in `piece` and the gaps between them, in
// order and covering all of it, as byte ranges offset by `base`.
void SplitByStage(SplitStage stage, std::string_view piece, uint32_t base,
                  std::vector<PreTokenizedText::Range>* out);

}  // namespace inferd::text
