#include "text/jinja_string.h"

#include <algorithm>

#include "text/unicode.h"

namespace inferd::jinja {

uint32_t DecodeUtf8(std::string_view s, size_t pos, size_t* len) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = byte(pos);
  size_t n = 0;
  uint32_t cp = 0;
  if (c < 0x80) {
    *len = 1;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    *len = 1;
    return c;
  }
  if (pos + n > s.size()) {
    *len = 1;
    return c;
  }
  for (size_t i = 1; i < n; ++i) {
    unsigned char d = byte(pos + i);
    if ((d & 0xC0) != 0x80) {
      *len = 1;
      return c;
    }
    cp = (cp << 6) | (d & 0x3F);
  }
  *len = n;
  return cp;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  text::unicode::Append(static_cast<char32_t>(cp), out);
}

std::vector<size_t> CodePointOffsets(std::string_view s) {
  std::vector<size_t> offsets;
  offsets.reserve(s.size() + 1);
  size_t pos = 0;
  while (pos < s.size()) {
    offsets.push_back(pos);
    size_t len = 0;
    DecodeUtf8(s, pos, &len);
    pos += len;
  }
  offsets.push_back(s.size());
  return offsets;
}

size_t CodePointCount(std::string_view s) {
  return CodePointOffsets(s).size() - 1;
}

std::vector<std::string> CodePoints(std::string_view s) {
  std::vector<size_t> offsets = CodePointOffsets(s);
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < offsets.size(); ++i) {
    out.emplace_back(s.substr(offsets[i], offsets[i + 1] - offsets[i]));
  }
  return out;
}

bool IsPythonSpace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) ||
         cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

std::string PyStrip(std::string_view s, const std::optional<std::string>& chars,
                    bool left, bool right) {
  std::vector<uint32_t> set;
  if (chars.has_value()) {
    size_t pos = 0;
    while (pos < chars->size()) {
      size_t len = 0;
      set.push_back(DecodeUtf8(*chars, pos, &len));
      pos += len;
    }
  }
  auto strip = [&](uint32_t cp) {
    if (!chars.has_value()) return IsPythonSpace(cp);
    return std::find(set.begin(), set.end(), cp) != set.end();
  };
  std::vector<size_t> offsets = CodePointOffsets(s);
  size_t n = offsets.size() - 1;
  size_t begin = 0;
  size_t end = n;
  auto cp_at = [&](size_t i) {
    size_t len = 0;
    return DecodeUtf8(s, offsets[i], &len);
  };
  if (left) {
    while (begin < end && strip(cp_at(begin))) ++begin;
  }
  if (right) {
    while (end > begin && strip(cp_at(end - 1))) --end;
  }
  return std::string(s.substr(offsets[begin], offsets[end] - offsets[begin]));
}

std::vector<std::string> PySplit(std::string_view s,
                                 const std::optional<std::string>& sep,
                                 int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep.has_value()) {
    size_t start = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t hit = s.find(*sep, start);
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(start, hit - start));
      start = hit + sep->size();
    }
    out.emplace_back(s.substr(start));
    return out;
  }
  size_t pos = 0;
  auto space_at = [&](size_t p, size_t* len) {
    return IsPythonSpace(DecodeUtf8(s, p, len));
  };
  while (pos < s.size()) {
    size_t len = 0;
    while (pos < s.size() && space_at(pos, &len)) pos += len;
    if (pos >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      // The rest, with trailing whitespace removed, is the last piece.
      out.push_back(PyStrip(s.substr(pos), std::nullopt, false, true));
      return out;
    }
    size_t start = pos;
    while (pos < s.size() && !space_at(pos, &len)) pos += len;
    out.emplace_back(s.substr(start, pos - start));
  }
  return out;
}

std::string PyReplace(std::string_view s, std::string_view old_text,
                      std::string_view new_text, int64_t count) {
  std::string out;
  int64_t done = 0;
  if (old_text.empty()) {
    std::vector<std::string> cps = CodePoints(s);
    for (const std::string& cp : cps) {
      if (count < 0 || done < count) {
        out += new_text;
        ++done;
      }
      out += cp;
    }
    if (count < 0 || done < count) out += new_text;
    return out;
  }
  size_t start = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(old_text, start);
    if (hit == std::string_view::npos) break;
    out += s.substr(start, hit - start);
    out += new_text;
    start = hit + old_text.size();
    ++done;
  }
  out += s.substr(start);
  return out;
}

namespace {

bool IsAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char Upper(char c) { return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c; }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

}  // namespace

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Upper(c);
  return out;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string PyCapitalize(std::string_view s) {
  std::string out = AsciiLower(s);
  if (!out.empty()) out[0] = Upper(out[0]);
  return out;
}

std::string PyTitle(std::string_view s) {
  std::string out(s);
  bool previous_cased = false;
  for (char& c : out) {
    bool alpha = IsAsciiAlpha(c) || (static_cast<unsigned char>(c) >= 0x80);
    if (IsAsciiAlpha(c)) c = previous_cased ? Lower(c) : Upper(c);
    previous_cased = alpha;
  }
  return out;
}

std::string JinjaTitle(std::string_view s) {
  // Jinja splits on ([-\s({[<]+) and capitalizes each piece.
  std::string out;
  size_t pos = 0;
  bool word_start = true;
  while (pos < s.size()) {
    size_t len = 0;
    uint32_t cp = DecodeUtf8(s, pos, &len);
    bool boundary = IsPythonSpace(cp) || cp == '-' || cp == '(' || cp == '{' ||
                    cp == '[' || cp == '<';
    if (boundary) {
      out.append(s.substr(pos, len));
      word_start = true;
    } else {
      char c = s[pos];
      if (len == 1) {
        out.push_back(word_start ? Upper(c) : Lower(c));
      } else {
        out.append(s.substr(pos, len));
      }
      word_start = false;
    }
    pos += len;
  }
  return out;
}

}  // namespace inferd::jinja
