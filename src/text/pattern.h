#pragma once

// The `pattern` of Split, Replace and Replace-decoder components:
// `{"String": "..."}` (a literal) or `{"Regex": "..."}` (an Oniguruma-style
// regular expression, as the Rust `tokenizers` crate writes them).
//
// Regexes run on PCRE2 (UTF + UCP mode, JIT-compiled) rather than RE2: the
// patterns in published tokenizer.json files use look-ahead (GPT-2's
// `\s+(?!\S)`, which RE2 cannot express) and `(?i:...)` groups, both of which
// PCRE2 supports with Oniguruma's syntax. GPT-2's own pattern never reaches
// PCRE2: the ByteLevel pre-tokenizer matches it with a hand-written scanner.
//
// Thread-safe: immutable after Create; each FindAll uses its own match data.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "text/json_fields.h"

namespace inferd::text {

class Pattern {
 public:
  // Reads `fields.key` (an object with "String" or "Regex").
  static absl::StatusOr<Pattern> FromJson(const JsonFields& fields,
                                          std::string_view key);
  static absl::StatusOr<Pattern> Literal(std::string literal);
  static absl::StatusOr<Pattern> Regex(const std::string& regex,
                                       std::string_view where);

  // Non-empty matches, left to right, as byte ranges [begin, end) of `text`.
  std::vector<std::pair<size_t, size_t>> FindAll(std::string_view text) const;

  bool is_literal() const { return code_ == nullptr; }
  const std::string& source() const { return source_; }

 private:
  struct Code;
  std::string source_;
  std::shared_ptr<const Code> code_;  // null for a literal
};

}  // namespace inferd::text
