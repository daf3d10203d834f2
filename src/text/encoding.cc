#include "text/encoding.h"

#include "text/unicode.h"

namespace inferd::text {

ByteToCharIndex::ByteToCharIndex(std::string_view text,
                                 Encoding::CharUnit unit) {
  index_.resize(text.size() + 1);
  uint32_t chars = 0;
  size_t i = 0;
  while (i < text.size()) {
    int len = unicode::SequenceLength(static_cast<unsigned char>(text[i]));
    for (int k = 0; k < len && i + k < text.size(); ++k) index_[i + k] = chars;
    chars += (unit == Encoding::CharUnit::kUtf16 && len == 4) ? 2 : 1;
    i += len;
  }
  index_[text.size()] = chars;
}

std::vector<Span> Encoding::CharOffsets(std::string_view text,
                                        std::string_view pair,
                                        CharUnit unit) const {
  ByteToCharIndex first(text, unit), second(pair, unit);
  std::vector<Span> out(offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (sequence_ids[i] < 0) continue;
    const ByteToCharIndex& map = sequence_ids[i] == 0 ? first : second;
    out[i] = Span{map(offsets[i].start), map(offsets[i].end)};
  }
  return out;
}

}  // namespace inferd::text
