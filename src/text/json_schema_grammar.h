#pragma once

// JSON Schema to Grammar, for structured output: a model sampled under the
// grammar writes JSON that validates against the schema.
//
// Supported keywords: type (one or a list), properties, required,
// additionalProperties (false, true or a schema), items, minItems,
// maxItems, enum, const, anyOf, oneOf (as anyOf: the grammar does not check
// that only one matches), $ref to #/$defs/..., #/definitions/... or # (with
// recursion), $defs/definitions, string minLength/maxLength/pattern (a
// regular subset, JsonPatternToGrammar)/format (date, time, date-time, uuid,
// email), integer minimum/maximum/exclusiveMinimum/exclusiveMaximum, number
// minimum/maximum when they are integers. Annotations (title, description,
// default, examples, $schema, $id, $comment) are ignored. Any other keyword
// is an error naming it and where it is, never silently ignored.
//
// Objects are written with their properties in the schema's order;
// optional properties may be left out; extra properties are written only
// when additionalProperties allows them (true or a schema), after the
// declared ones. Numbers have at most 16 digits in each part, strings
// without maxLength are unbounded (max_tokens bounds them).
//
// Thread-safety: stateless functions.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"
#include "text/grammar.h"

namespace inferd::text {

// The grammar's text (GBNF, see grammar.h) for `schema`; InvalidArgument
// names the keyword and its JSON pointer, e.g. `json_schema: unsupported
// keyword "not" at #/properties/a`.
absl::StatusOr<std::string> JsonSchemaToGrammarText(const boost::json::value& schema);

// JsonSchemaToGrammarText, compiled. A $ref cycle without a base case is an
// InvalidArgument naming the $ref.
absl::StatusOr<std::shared_ptr<const Grammar>> CompileJsonSchema(const boost::json::value& schema);

// Any JSON object (OpenAI's json_object, Ollama's "json").
std::shared_ptr<const Grammar> JsonObjectGrammar();

}  // namespace inferd::text
