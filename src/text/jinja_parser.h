#pragma once

// Parses a chat template's tokens into a syntax tree, refusing what the
// interpreter does not support.
//
// Supported: text, {{ }}, if/elif/else, for (tuple targets, `if` filter,
// else, loop.*), set (names, tuples, `ns.attr`, block form), macro, raw,
// break/continue, generation (Hugging Face's assistant-mask tag, rendered
// as its body), comments. Expressions: Python-like literals, arithmetic,
// `~`, comparisons, `in`/`not in`, and/or/not, `x if c else y`, attributes,
// subscripts, slices, calls, filters and tests. Filters, tests, functions
// and methods are checked against what jinja_builtins.h implements, so an
// unsupported template fails here with its line
// (`chat template line 12: unsupported filter "wordwrap"`), never renders
// a wrong prompt. Thread-safe (pure).

#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja_ast.h"
#include "text/jinja_lexer.h"

namespace inferd::jinja {

absl::StatusOr<Body> ParseTemplate(std::string_view source,
                                   const LexerOptions& options);

}  // namespace inferd::jinja
