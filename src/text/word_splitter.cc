#include "text/word_splitter.h"

#include "common/strings.h"
#include "text/unicode.h"

namespace inferd::text {
namespace {

using Range = PreTokenizedText::Range;
using Whitespace = WordSplitter::Whitespace;

enum CharClass : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4, kOther = 8 };

struct AsciiClasses {
  CharClass table[128];
  constexpr AsciiClasses() : table() {
    for (int c = 0; c < 128; ++c) {
      if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
        table[c] = kSpace;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        table[c] = kLetter;
      } else if (c >= '0' && c <= '9') {
        table[c] = kNumber;
      } else {
        table[c] = kOther;
      }
    }
  }
};
constexpr AsciiClasses kAscii;

// Both whitespace sets agree on ASCII, so only the non-ASCII path differs.
template <Whitespace kWhitespace>
inline CharClass Classify(char32_t cp) {
  if (cp < 0x80) return kAscii.table[cp];
  if (kWhitespace == Whitespace::kJavaScript
          ? unicode::IsJsWhitespace(cp)
          : unicode::IsUnicodeWhitespace(cp)) {
    return kSpace;
  }
  if (unicode::IsLetter(cp)) return kLetter;
  if (unicode::IsNumber(cp)) return kNumber;
  return kOther;
}

template <Whitespace kWhitespace>
inline CharClass ClassAt(std::string_view text, size_t pos, int* len) {
  const auto c = static_cast<unsigned char>(text[pos]);
  if (c < 0x80) {
    *len = 1;
    return kAscii.table[c];
  }
  return Classify<kWhitespace>(unicode::DecodeLenient(text, pos, len));
}

// End of the run of characters of class `cls` starting at `pos`.
template <Whitespace kWhitespace>
inline size_t RunEnd(std::string_view text, size_t pos, CharClass cls) {
  const size_t n = text.size();
  while (pos < n) {
    int len;
    if (ClassAt<kWhitespace>(text, pos, &len) != cls) break;
    pos += len;
  }
  return pos;
}

// Length of a contraction ('s 't 're 've 'm 'll 'd) at `pos`, or 0.
inline size_t Contraction(std::string_view text, size_t pos) {
  if (pos + 1 >= text.size()) return 0;
  const char a = text[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char b = text[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l')) {
    return 3;
  }
  return 0;
}

// GPT-2's pattern straight on the bytes: the hot path of byte-level
// tokenizers, so no per-text decoding into a buffer.
template <Whitespace kWhitespace>
void SplitGpt2(std::string_view text, uint32_t base, std::vector<Range>* out) {
  size_t i = 0;
  const size_t n = text.size();
  auto emit = [&](size_t b, size_t e) {
    out->push_back(Range{base + static_cast<uint32_t>(b),
                         base + static_cast<uint32_t>(e)});
  };
  while (i < n) {
    int len;
    const CharClass cls = ClassAt<kWhitespace>(text, i, &len);
    if (text[i] == '\'') {
      if (size_t c = Contraction(text, i)) {
        emit(i, i + c);
        i += c;
        continue;
      }
    }
    // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+` with the optional space.
    if (text[i] == ' ' && i + 1 < n) {
      int len2;
      const CharClass next = ClassAt<kWhitespace>(text, i + 1, &len2);
      if (next != kSpace) {
        const size_t e = RunEnd<kWhitespace>(text, i + 1 + len2, next);
        emit(i, e);
        i = e;
        continue;
      }
    }
    if (cls != kSpace) {
      const size_t e = RunEnd<kWhitespace>(text, i + len, cls);
      emit(i, e);
      i = e;
      continue;
    }
    // \s+(?!\S) then \s+: a whitespace run, leaving its last character to
    // the next word when a non-space follows.
    size_t e = i + len, last = i;
    int chars = 1;
    while (e < n) {
      int l;
      if (ClassAt<kWhitespace>(text, e, &l) != kSpace) break;
      last = e;
      e += l;
      ++chars;
    }
    if (e < n && chars >= 2) e = last;
    emit(i, e);
    i = e;
  }
}

// Llama 3's pattern needs look-ahead over characters, so the text is decoded
// once into characters and classes.
struct Decoded {
  std::vector<unicode::CodePoint> cps;
  std::vector<uint8_t> cls;
  size_t n() const { return cps.size(); }
  bool Is(size_t i, uint8_t mask) const { return i < n() && (cls[i] & mask); }
  char32_t At(size_t i) const { return i < n() ? cps[i].cp : 0; }
};

inline char32_t AsciiLower(char32_t cp) { return cp < 128 ? (cp | 0x20) : cp; }

// (?i:'s|'t|'re|'ve|'m|'ll|'d); returns the match length or 0.
size_t MatchContractionIgnoreCase(const Decoded& t, size_t i) {
  if (t.At(i) != '\'') return 0;
  const char32_t a = AsciiLower(t.At(i + 1));
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  const char32_t b = AsciiLower(t.At(i + 2));
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') ||
      (a == 'l' && b == 'l')) {
    return 3;
  }
  return 0;
}

size_t RunOf(const Decoded& t, size_t i, uint8_t mask) {
  size_t j = i;
  while (t.Is(j, mask)) ++j;
  return j;
}

// \s+(?!\S) then \s+ : whitespace, leaving the last one for the next word
// when a non-space follows.
size_t MatchTrailingSpace(const Decoded& t, size_t i) {
  const size_t k = RunOf(t, i, kSpace);
  if (k == i) return 0;
  if (k == t.n() || k - i == 1) return k - i;
  return k - i - 1;
}

// Characters matched at `i` (at least 1).
size_t MatchLlama3(const Decoded& t, size_t i, int max_digits) {
  if (size_t m = MatchContractionIgnoreCase(t, i)) return m;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  const char32_t c = t.At(i);
  if (!t.Is(i, kLetter | kNumber) && c != '\r' && c != '\n' &&
      t.Is(i + 1, kLetter)) {
    return RunOf(t, i + 1, kLetter) - i;
  }
  if (t.Is(i, kLetter)) return RunOf(t, i, kLetter) - i;
  // \p{N}{1,D}
  if (t.Is(i, kNumber)) {
    size_t j = i;
    while (t.Is(j, kNumber) &&
           (max_digits <= 0 || j - i < static_cast<size_t>(max_digits))) {
      ++j;
    }
    return j - i;
  }
  //  ?[^\s\p{L}\p{N}]+[\r\n]*
  const size_t j = (c == ' ' && t.Is(i + 1, kOther)) ? i + 1 : i;
  if (t.Is(j, kOther)) {
    size_t k = RunOf(t, j, kOther);
    while (k < t.n() && (t.At(k) == '\r' || t.At(k) == '\n')) ++k;
    return k - i;
  }
  // \s*[\r\n]+ : up to the last newline of the whitespace run.
  const size_t k = RunOf(t, i, kSpace);
  for (size_t p = k; p > i; --p) {
    const char32_t q = t.At(p - 1);
    if (q == '\r' || q == '\n') return p - i;
  }
  if (size_t m = MatchTrailingSpace(t, i)) return m;
  return 1;
}

template <Whitespace kWhitespace>
void SplitLlama3(std::string_view text, uint32_t base, int max_digits,
                 std::vector<Range>* out) {
  Decoded t;
  t.cps = unicode::DecodeCodePoints(text);
  t.cls.reserve(t.cps.size());
  for (const unicode::CodePoint& cp : t.cps) {
    t.cls.push_back(Classify<kWhitespace>(cp.cp));
  }
  size_t i = 0;
  while (i < t.n()) {
    const size_t m = MatchLlama3(t, i, max_digits);
    const size_t begin = t.cps[i].offset;
    const size_t end = i + m < t.n() ? t.cps[i + m].offset : text.size();
    out->push_back(Range{base + static_cast<uint32_t>(begin),
                         base + static_cast<uint32_t>(end)});
    i += m;
  }
}

}  // namespace

absl::StatusOr<WordSplitter> WordSplitter::ForGgufPre(std::string_view pre) {
  // llama.cpp's names (llama-vocab.cpp) and expressions for each.
  auto any_of = [&](std::initializer_list<std::string_view> names) {
    for (std::string_view n : names) {
      if (pre == n) return true;
    }
    return false;
  };
  using S = SplitStage;
  Options o;
  o.whitespace = Whitespace::kUnicode;
  if (pre.empty() || pre == "default") {
    // A vocabulary without tokenizer.ggml.pre (GPT-NeoX, older files).
    o.stages = {S::kPunctSymbols, S::kGpt2, S::kNumbers, S::kAsciiDigits3};
  } else if (any_of({"gpt2", "gpt-2", "phi-2", "jina-v1-en", "roberta-bpe",
                     "mpt", "olmo", "jais", "jina-es", "jina-de",
                     "jina-v2-es", "jina-v2-de", "jina-v2-code",
                     "gigachat"})) {
    o.pattern = Pattern::kGpt2;
  } else if (any_of({"smollm", "starcoder", "refact", "command-r",
                     "codeshell", "exaone", "minerva"})) {
    o.pattern = Pattern::kGpt2;
    o.split_digits_first = true;
  } else if (pre == "falcon") {
    o.stages = {S::kPunctSymbolsTick, S::kGpt2, S::kAsciiDigits3};
  } else if (pre == "deepseek-coder") {
    o.stages = {S::kNewline, S::kSpaceLetters, S::kSpacePunct, S::kCjk,
                S::kNumber};
  } else if (pre == "deepseek-llm") {
    o.stages = {S::kNewline, S::kSpaceCased, S::kSpaceDsPunct,
                S::kTrailingSpace, S::kCjk, S::kNumbers};
  } else if (any_of({"llama3", "llama-bpe", "llama-v3", "smaug-bpe", "dbrx",
                     "falcon3", "pixtral"})) {
    o.pattern = Pattern::kLlama3;
    o.max_digits = 3;
  } else if (any_of({"qwen2", "deepseek-r1-qwen", "stablelm2"})) {
    o.pattern = Pattern::kLlama3;
    o.max_digits = 1;
  } else {
    return absl::InvalidArgumentError(StrCat(
        "unsupported tokenizer.ggml.pre \"", pre,
        "\" (supported: default, gpt2, llama3, qwen2, smollm, starcoder, "
        "command-r, falcon, deepseek-llm, deepseek-coder and aliases)"));
  }
  return WordSplitter(o);
}

void WordSplitter::SplitPiece(std::string_view text, uint32_t base,
                              std::vector<Range>* out) const {
  const bool js = options_.whitespace == Whitespace::kJavaScript;
  if (options_.pattern == Pattern::kGpt2) {
    if (js) {
      SplitGpt2<Whitespace::kJavaScript>(text, base, out);
    } else {
      SplitGpt2<Whitespace::kUnicode>(text, base, out);
    }
  } else if (js) {
    SplitLlama3<Whitespace::kJavaScript>(text, base, options_.max_digits, out);
  } else {
    SplitLlama3<Whitespace::kUnicode>(text, base, options_.max_digits, out);
  }
}

void WordSplitter::Split(std::string_view text, uint32_t base,
                         std::vector<Range>* out) const {
  if (!options_.stages.empty()) {
    SplitStaged(text, base, out);
    return;
  }
  if (!options_.split_digits_first) {
    SplitPiece(text, base, out);
    return;
  }
  // Each number character is its own word; the text between goes through the
  // main pattern.
  size_t run_start = 0, i = 0;
  while (i < text.size()) {
    int len;
    const char32_t cp = unicode::DecodeLenient(text, i, &len);
    if (unicode::IsNumber(cp)) {
      if (i > run_start) {
        SplitPiece(text.substr(run_start, i - run_start),
                   base + static_cast<uint32_t>(run_start), out);
      }
      out->push_back(Range{base + static_cast<uint32_t>(i),
                           base + static_cast<uint32_t>(i + len)});
      run_start = i + len;
    }
    i += len;
  }
  if (run_start < text.size()) {
    SplitPiece(text.substr(run_start), base + static_cast<uint32_t>(run_start),
               out);
  }
}

void WordSplitter::SplitStaged(std::string_view text, uint32_t base,
                               std::vector<Range>* out) const {
  std::vector<Range> pieces = {Range{0, static_cast<uint32_t>(text.size())}};
  std::vector<Range> next;
  for (SplitStage stage : options_.stages) {
    next.clear();
    for (const Range& r : pieces) {
      const std::string_view piece = text.substr(r.begin, r.end - r.begin);
      if (stage == SplitStage::kGpt2) {
        SplitGpt2<Whitespace::kUnicode>(piece, r.begin, &next);
      } else {
        SplitByStage(stage, piece, r.begin, &next);
      }
    }
    pieces.swap(next);
  }
  for (const Range& r : pieces) {
    out->push_back(Range{base + r.begin, base + r.end});
  }
}

}  // namespace inferd::text
