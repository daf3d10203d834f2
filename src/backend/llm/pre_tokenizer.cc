#include "backend/llm/pre_tokenizer.h"

#include <utf8proc.h>

#include "backend/llm/str_cat.h"
#include "backend/llm/utf8.h"

namespace inferd::llm {
namespace {

enum CharClass : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kOther = 8 };

bool IsWhitespace(uint32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200a;
  }
}

uint8_t Classify(uint32_t cp) {
  if (IsWhitespace(cp)) return kSpace;
  if (cp == 0xfffd) return kOther;
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
      return kLetter;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return kNumber;
    default:
      return kOther;
  }
}

uint32_t Lower(uint32_t cp) { return cp < 128 ? (cp | 0x20) : cp; }

// Cursor over one piece of text with its character classes.
struct Text {
  std::vector<CodePoint> cps;
  std::vector<uint8_t> cls;
  size_t n() const { return cps.size(); }
  bool Is(size_t i, uint8_t mask) const { return i < n() && (cls[i] & mask); }
  uint32_t At(size_t i) const { return i < n() ? cps[i].cp : 0; }
};

// 's|'t|'re|'ve|'m|'ll|'d; returns the match length or 0.
size_t MatchContraction(const Text& t, size_t i, bool ignore_case) {
  if (t.At(i) != '\'') return 0;
  auto c = [&](size_t k) {
    uint32_t cp = t.At(k);
    return ignore_case ? Lower(cp) : cp;
  };
  const uint32_t a = c(i + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  const uint32_t b = c(i + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l')) {
    return 3;
  }
  return 0;
}

size_t RunOf(const Text& t, size_t i, uint8_t mask) {
  size_t j = i;
  while (t.Is(j, mask)) ++j;
  return j;
}

// \s+(?!\S) then \s+ : whitespace, leaving the last one for the next word
// when a non-space follows.
size_t MatchTrailingSpace(const Text& t, size_t i) {
  const size_t k = RunOf(t, i, kSpace);
  if (k == i) return 0;
  if (k == t.n() || k - i == 1) return k - i;
  return k - i - 1;
}

size_t MatchGpt2(const Text& t, size_t i) {
  if (size_t m = MatchContraction(t, i, false)) return m;
  const size_t j = t.At(i) == ' ' ? i + 1 : i;
  if (t.Is(j, kLetter)) return RunOf(t, j, kLetter) - i;
  if (t.Is(j, kNumber)) return RunOf(t, j, kNumber) - i;
  if (t.Is(j, kOther)) return RunOf(t, j, kOther) - i;
  if (size_t m = MatchTrailingSpace(t, i)) return m;
  return 1;
}

size_t MatchLlama3(const Text& t, size_t i, int max_digits) {
  if (size_t m = MatchContraction(t, i, true)) return m;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  const uint32_t c = t.At(i);
  if (!t.Is(i, kLetter | kNumber) && c != '\r' && c != '\n' &&
      t.Is(i + 1, kLetter)) {
    return RunOf(t, i + 1, kLetter) - i;
  }
  if (t.Is(i, kLetter)) return RunOf(t, i, kLetter) - i;
  // \p{N}{1,D}
  if (t.Is(i, kNumber)) {
    size_t j = i;
    while (t.Is(j, kNumber) &&
           (max_digits <= 0 || j - i < size_t(max_digits))) {
      ++j;
    }
    return j - i;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  const size_t j = (c == ' ' && t.Is(i + 1, kOther)) ? i + 1 : i;
  if (t.Is(j, kOther)) {
    size_t k = RunOf(t, j, kOther);
    while (t.At(k) == '\r' || t.At(k) == '\n') {
      if (k >= t.n()) break;
      ++k;
    }
    return k - i;
  }
  // \s*[\r\n]+ : up to the last newline of the whitespace run.
  const size_t k = RunOf(t, i, kSpace);
  for (size_t p = k; p > i; --p) {
    const uint32_t q = t.At(p - 1);
    if (q == '\r' || q == '\n') return p - i;
  }
  if (size_t m = MatchTrailingSpace(t, i)) return m;
  return 1;
}

}  // namespace

absl::StatusOr<PreTokenizer> PreTokenizer::ForName(std::string_view pre) {
  Options o;
  if (pre.empty() || pre == "default" || pre == "gpt2" || pre == "gpt-2" ||
      pre == "phi-2" || pre == "jina-v1-en" || pre == "roberta-bpe") {
    o.style = Style::kGpt2;
  } else if (pre == "smollm" || pre == "starcoder" || pre == "refact") {
    o.style = Style::kGpt2;
    o.split_digits_first = true;
  } else if (pre == "llama3" || pre == "llama-bpe" || pre == "llama-v3" ||
             pre == "smaug-bpe" || pre == "dbrx") {
    o.style = Style::kLlama3;
    o.max_digits = 3;
  } else if (pre == "qwen2" || pre == "deepseek-r1-qwen") {
    o.style = Style::kLlama3;
    o.max_digits = 1;
  } else {
    return absl::InvalidArgumentError(AbslView(
        Cat("unsupported tokenizer.ggml.pre \"", pre,
            "\" (supported: gpt2, llama3, qwen2, smollm and aliases)")));
  }
  return PreTokenizer(o);
}

std::vector<std::string_view> PreTokenizer::Split(std::string_view text) const {
  std::vector<std::string_view> out;
  auto split_piece = [&](std::string_view piece) {
    Text t;
    t.cps = DecodeUtf8(piece);
    t.cls.reserve(t.cps.size());
    for (const CodePoint& cp : t.cps) t.cls.push_back(Classify(cp.cp));
    size_t i = 0;
    while (i < t.n()) {
      size_t m = options_.style == Style::kGpt2
                     ? MatchGpt2(t, i)
                     : MatchLlama3(t, i, options_.max_digits);
      if (m == 0) m = 1;
      const size_t begin = t.cps[i].offset;
      const size_t end = i + m < t.n() ? t.cps[i + m].offset : piece.size();
      out.push_back(piece.substr(begin, end - begin));
      i += m;
    }
  };
  if (!options_.split_digits_first) {
    split_piece(text);
    return out;
  }
  // Each number character is its own word; the text between goes through the
  // main pattern.
  const std::vector<CodePoint> cps = DecodeUtf8(text);
  size_t run_start = 0;
  for (const CodePoint& cp : cps) {
    if (Classify(cp.cp) != kNumber) continue;
    if (cp.offset > run_start) {
      split_piece(text.substr(run_start, cp.offset - run_start));
    }
    out.push_back(text.substr(cp.offset, cp.length));
    run_start = cp.offset + cp.length;
  }
  if (run_start < text.size()) split_piece(text.substr(run_start));
  return out;
}

}  // namespace inferd::llm
