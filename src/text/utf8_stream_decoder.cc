#include "text/utf8_stream_decoder.h"

#include "text/unicode.h"

namespace inferd::text {

std::string Utf8StreamDecoder::Push(std::string_view bytes) {
  pending_.append(bytes);
  // Find the start of the last (possibly incomplete) character.
  const size_t n = pending_.size();
  size_t start = n;
  for (size_t k = 0; k < 4 && start > 0; ++k) {
    --start;
    if (!unicode::IsContinuation(static_cast<unsigned char>(pending_[start]))) {
      break;
    }
  }
  size_t cut = n;
  if (start < n) {
    const auto c = static_cast<unsigned char>(pending_[start]);
    const int len = unicode::LenientSequenceLength(c);
    if (c >= 0xC0 && start + len > n) cut = start;  // incomplete: hold back
  }
  std::string out = pending_.substr(0, cut);
  pending_.erase(0, cut);
  return out;
}

std::string Utf8StreamDecoder::Flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace inferd::text
