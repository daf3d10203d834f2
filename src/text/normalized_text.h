#pragma once

// Text on its way through a tokenizer's normalizer and pre-tokenizer, with
// every byte aligned to the byte range of the original input it came from, so
// the final tokens can report offsets into what the caller passed in.
//
// Alignment is kept per byte of `text`: `align[i]` is the original byte range
// of the character that produced byte i (all bytes of one output character
// carry the same range; a character inserted by a normalizer, such as the
// spaces BERT puts around CJK ideographs, carries the range of the character
// it was inserted for). A value type; not thread-safe to mutate concurrently.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/unicode.h"

namespace inferd::text {

// A half-open byte range [start, end) of the original input.
struct Span {
  uint32_t start = 0;
  uint32_t end = 0;
  friend bool operator==(const Span&, const Span&) = default;
};

struct NormalizedText {
  std::string text;
  std::vector<Span> align;  // one per byte of `text`

  // `original` unchanged, each character aligned to itself; offsets start at
  // `base` (the position of `original` inside the caller's input).
  static NormalizedText FromOriginal(std::string_view original, uint32_t base) {
    NormalizedText out;
    out.text.assign(original);
    out.align.resize(original.size());
    size_t i = 0;
    while (i < original.size()) {
      int len = unicode::SequenceLength(static_cast<unsigned char>(original[i]));
      Span span{base + static_cast<uint32_t>(i),
                base + static_cast<uint32_t>(i + len)};
      for (int k = 0; k < len; ++k) out.align[i + k] = span;
      i += len;
    }
    return out;
  }

  // Appends `utf8` (whole characters), every byte aligned to `origin`.
  void Append(std::string_view utf8, Span origin) {
    text.append(utf8);
    align.insert(align.end(), utf8.size(), origin);
  }
  void AppendChar(char32_t cp, Span origin) {
    size_t before = text.size();
    unicode::Append(cp, &text);
    align.insert(align.end(), text.size() - before, origin);
  }
  // Appends bytes [begin, end) of `other` with their alignment.
  void AppendFrom(const NormalizedText& other, size_t begin, size_t end) {
    text.append(other.text, begin, end - begin);
    align.insert(align.end(), other.align.begin() + begin,
                 other.align.begin() + end);
  }

  // Original range covered by bytes [begin, end) of `text` (begin < end).
  Span Origin(size_t begin, size_t end) const {
    return Span{align[begin].start, align[end - 1].end};
  }
};

// A normalized text cut into pieces (pre-tokens): byte ranges of `buffer`.
struct PreTokenizedText {
  NormalizedText buffer;
  struct Range {
    uint32_t begin = 0;
    uint32_t end = 0;
  };
  std::vector<Range> pieces;

  std::string_view Piece(const Range& r) const {
    return std::string_view(buffer.text).substr(r.begin, r.end - r.begin);
  }
};

}  // namespace inferd::text
