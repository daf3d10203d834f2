#pragma once

// UTF-8 helpers for the tokenizers and streaming detokenization.
// Pure functions and a small single-owner buffer class; not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace inferd::llm {

// Length of the UTF-8 sequence introduced by lead byte `c` (1 for stray
// continuation or invalid bytes, so every byte is consumed exactly once).
int Utf8SequenceLength(unsigned char c);

struct CodePoint {
  uint32_t cp;      // 0xFFFD for invalid input
  uint32_t offset;  // byte offset in the source
  uint32_t length;  // bytes in the source
};
// Decodes `text`; invalid sequences become U+FFFD covering one byte.
std::vector<CodePoint> DecodeUtf8(std::string_view text);

void AppendUtf8(uint32_t cp, std::string* out);

// Emits only complete UTF-8 characters from a stream of byte pieces, so a
// token that ends in the middle of a multi-byte character is held back until
// the next token completes it.
class Utf8StreamDecoder {
 public:
  // Appends `bytes` and returns the longest prefix of pending bytes that ends
  // on a character boundary (invalid bytes pass through as they are).
  std::string Push(std::string_view bytes);
  // Returns whatever is still held (possibly an incomplete character).
  std::string Flush();

 private:
  std::string pending_;
};

}  // namespace inferd::llm
