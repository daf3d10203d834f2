#include "text/split_stages.h"

#include "text/unicode.h"

namespace inferd::text {
namespace {

using Range = PreTokenizedText::Range;

bool InClass(SplitStage stage, char32_t cp) {
  switch (stage) {
    case SplitStage::kPunctSymbols:
    case SplitStage::kPunctSymbolsTick:
      if (cp == '$' || cp == '+' || cp == '<' || cp == '=' || cp == '>' ||
          cp == '^' || cp == '~' || cp == '|') {
        return true;
      }
      if (cp == '`') return stage == SplitStage::kPunctSymbolsTick;
      return unicode::IsPunctuation(cp);
    case SplitStage::kNumbers:
    case SplitStage::kNumber:
      return unicode::IsNumber(cp);
    case SplitStage::kAsciiDigits3:
      return cp >= '0' && cp <= '9';
    case SplitStage::kNewline:
      return cp == '\r' || cp == '\n';
    case SplitStage::kSpaceLetters:
      return unicode::IsLetter(cp);
    case SplitStage::kSpacePunct:
      return unicode::IsPunctuation(cp);
    case SplitStage::kCjk:
      return (cp >= 0x0800 && cp <= 0x9FA5) || (cp >= 0xAC00 && cp <= 0xD7FF);
    case SplitStage::kSpaceCased:
      return unicode::IsCasedLetter(cp);
    case SplitStage::kSpaceDsPunct:
      return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x7E) ||
             (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF5E) ||
             (cp >= 0x2018 && cp <= 0x201F) || (cp >= 0x3000 && cp <= 0x3002);
    case SplitStage::kTrailingSpace:
      return unicode::IsUnicodeWhitespace(cp);
    case SplitStage::kGpt2:
      return false;
  }
  return false;
}

bool OptionalLeadingSpace(SplitStage stage) {
  return stage == SplitStage::kSpaceLetters ||
         stage == SplitStage::kSpacePunct || stage == SplitStage::kSpaceCased ||
         stage == SplitStage::kSpaceDsPunct;
}

// Characters matched at `i` (0: no match).
size_t MatchAt(SplitStage stage, const std::vector<unicode::CodePoint>& cps,
               size_t i) {
  const size_t n = cps.size();
  auto run = [&](size_t j) {
    while (j < n && InClass(stage, cps[j].cp)) ++j;
    return j;
  };
  switch (stage) {
    case SplitStage::kNumber:
    case SplitStage::kNewline:
      return InClass(stage, cps[i].cp) ? 1 : 0;
    case SplitStage::kAsciiDigits3:
      return i + 3 <= n && InClass(stage, cps[i].cp) &&
                     InClass(stage, cps[i + 1].cp) &&
                     InClass(stage, cps[i + 2].cp)
                 ? 3
                 : 0;
    case SplitStage::kTrailingSpace:
      return run(i) == n ? n - i : 0;
    default:
      break;
  }
  if (OptionalLeadingSpace(stage) && unicode::IsUnicodeWhitespace(cps[i].cp) &&
      i + 1 < n && InClass(stage, cps[i + 1].cp)) {
    return run(i + 1) - i;  // \s? takes the space
  }
  return run(i) - i;  // \s? empty
}

}  // namespace

void SplitByStage(SplitStage stage, std::string_view piece, uint32_t base,
                  std::vector<Range>* out) {
  const std::vector<unicode::CodePoint> cps = unicode::DecodeCodePoints(piece);
  auto offset = [&](size_t i) {
    return base + static_cast<uint32_t>(i < cps.size() ? cps[i].offset
                                                       : piece.size());
  };
  size_t gap = 0, i = 0;
  while (i < cps.size()) {
    const size_t m = MatchAt(stage, cps, i);
    if (m == 0) {
      ++i;
      continue;
    }
    if (gap < i) out->push_back(Range{offset(gap), offset(i)});
    out->push_back(Range{offset(i), offset(i + m)});
    i += m;
    gap = i;
  }
  if (gap < cps.size()) out->push_back(Range{offset(gap), offset(cps.size())});
}

}  // namespace inferd::text
