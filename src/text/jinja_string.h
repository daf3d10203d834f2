#pragma once

// Python's str operations on UTF-8 text, for chat templates.
//
// Python strings index, slice and measure by code point, and strip()/split()
// treat every Unicode whitespace character as space; templates rely on both
// (`content[:-1]`, `message.content.split('</think>')[-1].lstrip('\n')`).
// Case mapping (upper/lower/title/capitalize) covers ASCII only: letters
// outside ASCII keep their case, where Python would change them. Templates
// change the case of role names and keywords, which are ASCII.
//
// All functions are pure and thread-safe. Invalid UTF-8 bytes count as one
// code point each.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inferd::jinja {

// The code point at byte `pos` of `s`; its byte length goes to `*len`.
uint32_t DecodeUtf8(std::string_view s, size_t pos, size_t* len);
void AppendUtf8(uint32_t code_point, std::string* out);

// Byte offsets of every code point of `s`, followed by s.size().
std::vector<size_t> CodePointOffsets(std::string_view s);
size_t CodePointCount(std::string_view s);
// The code points of `s`, each as its own string (list("abc")).
std::vector<std::string> CodePoints(std::string_view s);

// str.isspace() for one code point.
bool IsPythonSpace(uint32_t code_point);

// str.strip / lstrip / rstrip: `chars` is the set to remove (by code point);
// nullopt removes whitespace.
std::string PyStrip(std::string_view s, const std::optional<std::string>& chars,
                    bool left, bool right);

// str.split(sep, maxsplit): nullopt `sep` splits on runs of whitespace and
// drops empty pieces; maxsplit < 0 is unlimited. Requires a non-empty sep.
std::vector<std::string> PySplit(std::string_view s,
                                 const std::optional<std::string>& sep,
                                 int64_t maxsplit);

// str.replace(old, new, count); count < 0 replaces all. An empty `old`
// inserts `new` between code points, as Python does.
std::string PyReplace(std::string_view s, std::string_view old_text,
                      std::string_view new_text, int64_t count);

std::string AsciiUpper(std::string_view s);
std::string AsciiLower(std::string_view s);
// str.capitalize(): first character upper, the rest lower.
std::string PyCapitalize(std::string_view s);
// str.title(): a letter after a non-letter is upper, others lower.
std::string PyTitle(std::string_view s);
// Jinja's `title` filter: words start after whitespace or one of -([{<.
std::string JinjaTitle(std::string_view s);

}  // namespace inferd::jinja
