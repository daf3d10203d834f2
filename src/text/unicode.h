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

// Appends the UTF-8 encoding of `cp` to `out`.
void Append(char32_t cp, std::string* out);

// True when `text` is well-formed UTF-8 (no surrogates, no overlongs).
bool IsValidUtf8(std::string_view text);

// Decodes bytes as the WHATWG UTF-8 decoder does (TextDecoder, fatal=false):
// each maximal invalid subpart becomes U+FFFD.
std::string DecodeLossy(std::string_view bytes);

// ECMAScript `\s`.
bool IsJsWhitespace(char32_t cp);
bool IsLetter(char32_t cp);       // \p{L}
bool IsNumber(char32_t cp);       // \p{N}
bool IsMark(char32_t cp);         // \p{M}
bool IsNonspacingMark(char32_t cp);  // \p{Mn}
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
