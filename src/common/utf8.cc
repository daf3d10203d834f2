#include "common/utf8.h"

#include <cstdint>
#include <cstring>

namespace inferd {
namespace {

// Length of the well-formed sequence at `s[0..n)`, or 0 when it is not
// one; then `*bad` is the length of its maximal invalid subpart (at least 1).
size_t ValidSequence(const unsigned char* s, size_t n, size_t* bad) {
  const unsigned char c = s[0];
  *bad = 1;
  if (c < 0x80) return 1;
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) {
    need = 2;
    if (c == 0xE0) lo = 0xA0;  // no overlongs
    if (c == 0xED) hi = 0x9F;  // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    need = 3;
    if (c == 0xF0) lo = 0x90;  // no overlongs
    if (c == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  for (size_t i = 1; i <= need; ++i) {
    if (i >= n) return 0;
    const unsigned char b = s[i];
    if (b < lo || b > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
    *bad = i + 1;
  }
  return need + 1;
}

// Bytes from `i` on that are ASCII, eight at a time: JSON bodies are mostly
// ASCII, and every response body is checked.
size_t SkipAscii(const unsigned char* s, size_t n, size_t i) {
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, s + i, 8);
    if (word & 0x8080808080808080ull) break;
  }
  while (i < n && s[i] < 0x80) ++i;
  return i;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = SkipAscii(s, n, 0);
  while (i < n) {
    size_t bad;
    const size_t len = ValidSequence(s + i, n - i, &bad);
    if (len == 0) return false;
    i = SkipAscii(s, n, i + len);
  }
  return true;
}

std::string ToValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  std::string out;
  out.reserve(n);
  size_t i = 0;
  while (i < n) {
    const size_t ascii = SkipAscii(s, n, i);
    out.append(text.substr(i, ascii - i));
    i = ascii;
    if (i >= n) break;
    size_t bad;
    const size_t len = ValidSequence(s + i, n - i, &bad);
    if (len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += bad;
    }
  }
  return out;
}

}  // namespace inferd
