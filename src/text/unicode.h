#pragma once

// UTF-8 decoding and the Unicode character classes the tokenizer components
// use, with the semantics of the reference implementation
// (@huggingface/tokenizers, JavaScript): `\s` is ECMAScript's WhiteSpace plus
// LineTerminator set, `\p{L}`/`\p{N}`/`\p{P}`/`\p{M}` are general categories
// (from utf8proc), and lowercasing is String.prototype.toLowerCase's full
// mapping for the cases where it differs from the simple one.
//
// Thread-safe: free functions over immutable tables.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace inferd::text::unicode {

// Decodes the code point starting at `text[pos]`; sets `*len` to its byte
// length. Assumes valid UTF-8 (checked once by IsValidUtf8 on input).
inline char32_t Decode(std::string_view text, size_t pos, int* len) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  unsigned char c = s[0];
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  if (c < 0xE0) {
    *len = 2;
    return ((c & 0x1F) << 6) | (s[1] & 0x3F);
  }
  if (c < 0xF0) {
    *len = 3;
    return ((c & 0x0F) << 12) | ((s[1] & 0x3F) << 6) | (s[2] & 0x3F);
  }
  *len = 4;
  return ((c & 0x07) << 18) | ((s[1] & 0x3F) << 12) | ((s[2] & 0x3F) << 6) |
         (s[3] & 0x3F);
}

// Byte length of the UTF-8 sequence introduced by lead byte `c`.
inline int SequenceLength(unsigned char c) {
  return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

inline bool IsContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// For text that may not be valid UTF-8 (GGUF prompts are raw bytes): byte
// length of the sequence a lead byte `c` introduces, 1 for a continuation or
// invalid byte, so every byte is consumed exactly once.
inline int LenientSequenceLength(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

// Decodes the code point at `text[pos]` without assuming valid UTF-8: a
// sequence that is cut short or has a bad continuation byte decodes as
// U+FFFD covering its first byte. (Overlong forms and surrogates decode as
// their value.) Sets `*len` to the bytes consumed.
inline char32_t DecodeLenient(std::string_view text, size_t pos, int* len) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  const unsigned char c = s[0];
  const int n = LenientSequenceLength(c);
  *len = 1;
  if (n == 1) return c < 0x80 ? c : 0xFFFD;
  if (pos + n > text.size()) return 0xFFFD;
  char32_t cp = c & (0x7F >> n);
  for (int k = 1; k < n; ++k) {
    if (!IsContinuation(s[k])) return 0xFFFD;
    cp = (cp << 6) | (s[k] & 0x3F);
  }
  *len = n;
  return cp;
}

// One decoded character of a text and where it lies.
struct CodePoint {
  char32_t cp;      // U+FFFD for an invalid byte
  uint32_t offset;  // byte offset in the text
  uint32_t length;  // bytes in the text
};
// Every character of `text`, decoded with DecodeLenient.
std::vector<CodePoint> DecodeCodePoints(std::string_view text);

// Appends the UTF-8 encoding of `cp` to `out`.
void Append(char32_t cp, std::string* out);

// True when `text` is well-formed UTF-8 (no surrogates, no overlongs).
// The same check as common/utf8.h's, which the HTTP layer uses too.
bool IsValidUtf8(std::string_view text);

// Decodes bytes as the WHATWG UTF-8 decoder does (TextDecoder, fatal=false):
// each maximal invalid subpart becomes U+FFFD (common/utf8.h's ToValidUtf8).
std::string DecodeLossy(std::string_view bytes);

// ECMAScript `\s`.
bool IsJsWhitespace(char32_t cp);
// Unicode's White_Space property: what llama.cpp's pre-tokenizers (and so
// GGUF vocabularies' reference encodings) mean by `\s`. Unlike ECMAScript's
// set it has U+0085 and lacks U+FEFF.
bool IsUnicodeWhitespace(char32_t cp);
bool IsLetter(char32_t cp);       // \p{L}
bool IsNumber(char32_t cp);       // \p{N}
bool IsMark(char32_t cp);         // \p{M}
bool IsNonspacingMark(char32_t cp);  // \p{Mn}
bool IsPunctuation(char32_t cp);  // \p{P}
bool IsCasedLetter(char32_t cp);  // \p{LC}: Lu Ll Lt
// \p{P} plus the ASCII punctuation ranges (BERT's definition).
bool IsBertPunctuation(char32_t cp);
// \p{Cc} \p{Cf} \p{Co} \p{Cs}.
bool IsOtherControl(char32_t cp);
// CJK ideographs as BERT's normalizer adds spaces around them (BMP only, as
// the reference inspects UTF-16 code units).
bool IsCjkIdeograph(char32_t cp);

// Appends the full lowercase mapping of `cp` (String.toLowerCase) to `out`.
// `final_sigma` says whether a capital sigma is in word-final position.
void AppendLower(char32_t cp, bool final_sigma, std::string* out);
bool IsCased(char32_t cp);
bool IsCaseIgnorable(char32_t cp);

enum class NormalForm { kNfc, kNfd, kNfkc, kNfkd };
// Unicode normalization of a whole UTF-8 string (utf8proc).
std::string Normalize(std::string_view text, NormalForm form);
// Canonical combining class (0 for starters).
int CombiningClass(char32_t cp);

}  // namespace inferd::text::unicode
