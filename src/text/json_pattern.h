#pragma once

// A JSON Schema string `pattern` (a regular subset of ECMA-262 regular
// expressions) as a grammar expression for the *content* of a JSON string:
// characters JSON must escape (`"`, `\`) come out escaped, control
// characters are left out. The pattern is taken as anchored at both ends
// (a string that matches all of it also contains a match, so the output
// still validates).
//
// Supported: literals and escapes (\d \w \s \D \W \S \. \n \t \uXXXX ...),
// classes ([a-z], [^...]), `.`, groups ((...), (?:...)), alternation,
// quantifiers (* + ? {m} {m,} {m,n}, lazy forms treated as greedy), ^ at
// the start and $ at the end. Anything else (backreferences, lookaround,
// word boundaries) is InvalidArgument naming it, as is a counted
// repetition the grammar could not take: m > n, a count above
// Grammar::kMaxRepeat, or {,n} (not a quantifier in ECMA-262: Annex B reads
// it as literal text, unicode mode refuses it; {0,n} is meant).
//
// Thread-safety: stateless.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace inferd::text {

absl::StatusOr<std::string> JsonPatternToGrammar(std::string_view pattern);

}  // namespace inferd::text
