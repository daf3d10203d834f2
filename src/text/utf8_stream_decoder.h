#pragma once

// Emits only complete UTF-8 characters from a stream of byte pieces, so a
// token whose bytes end in the middle of a multi-byte character (byte tokens,
// byte-level BPE) is held back until the next token completes it. Used when
// generated tokens are streamed out as text.
//
// Not thread-safe: one decoder per stream.

#include <string>
#include <string_view>

namespace inferd::text {

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

}  // namespace inferd::text
