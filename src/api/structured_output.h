#pragma once

// The request fields that constrain generated text, decoded into a compiled
// Grammar for GenerateInput::grammar:
//
//   OpenAI   response_format {"type": "text" | "json_object" |
//            "json_schema", "json_schema": {"name", "schema", "strict"}}
//   Ollama   format: "json" or a JSON schema
//   Triton   parameters.json_schema (a schema object)
//   all      grammar: a grammar's text (docs/structured_output.md)
//
// A schema the converter cannot honour, or a grammar that does not compile,
// is InvalidArgument "<field>: <what is wrong>".
//
// Stateless; thread-safe.

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "text/grammar.h"

namespace inferd {

using GrammarPtr = std::shared_ptr<const text::Grammar>;

// A JSON schema (object or boolean) at `field`.
absl::StatusOr<GrammarPtr> SchemaGrammar(const boost::json::value& schema, std::string_view field);
// A grammar's text at `field`.
absl::StatusOr<GrammarPtr> TextGrammar(const boost::json::value& text, std::string_view field);
// OpenAI's response_format; null for "text".
absl::StatusOr<GrammarPtr> ResponseFormatGrammar(const boost::json::value& format);
// Ollama's format; null for "" (none).
absl::StatusOr<GrammarPtr> OllamaFormatGrammar(const boost::json::value& format);

// At most one constraint per request: `field` would be the second.
absl::Status SetGrammar(GrammarPtr grammar, std::string_view field, GrammarPtr* slot);

}  // namespace inferd
