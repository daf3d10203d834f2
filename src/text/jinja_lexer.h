#pragma once

// Splits a Jinja2 template into text and the tokens inside its tags.
//
// Whitespace handling is Jinja2's: `{%-`/`-%}` (and the `{{`/`{#` forms)
// strip whitespace before/after a tag; with trim_blocks the first newline
// after a block or comment tag is dropped; with lstrip_blocks spaces and tabs
// before a block or comment tag at the start of a line are dropped (`{%+`
// and `+%}` opt out); `\r\n` and `\r` become `\n`, and one trailing newline
// of the source is dropped (keep_trailing_newline=False). `{% raw %}` bodies
// come out as text. Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd::jinja {

enum class TokenKind {
  kText,           // template data, already whitespace-controlled
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,           // identifiers and keywords (if, and, true, none, ...)
  kString,         // text holds the unescaped value
  kInteger,
  kFloat,
  kOperator,  // + - * / // % ** ~ == != < <= > >= = ( ) [ ] { } , . : |
  kEnd,
};

struct Token {
  TokenKind kind;
  std::string text;
  int line = 1;
  int64_t int_value = 0;
  double float_value = 0;
};

struct LexerOptions {
  bool trim_blocks = true;
  bool lstrip_blocks = true;
};

// Tokens of `source`, ending with kEnd. Errors (an unclosed tag, a bad
// character) say "chat template line N: ...".
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view source,
                                            const LexerOptions& options);

}  // namespace inferd::jinja
