#include "api/structured_output.h"

#include <string>

#include "api/json_fields.h"
#include "common/strings.h"
#include "text/json_schema_grammar.h"

namespace inferd {
namespace {

namespace json = boost::json;
using json_fields::Bad;

// "json_schema: unsupported ..." -> "<field>: unsupported ..."
absl::Status Named(const absl::Status& status, std::string_view field, std::string_view prefix) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  std::string_view message = ToStd(status.message());
  if (message.substr(0, prefix.size()) == prefix) message.remove_prefix(prefix.size());
  return Bad(field, message);
}

}  // namespace

absl::StatusOr<GrammarPtr> SchemaGrammar(const json::value& schema, std::string_view field) {
  if (!schema.is_object() && !schema.is_bool()) return Bad(field, "must be a JSON schema (an object)");
  absl::StatusOr<GrammarPtr> g = text::CompileJsonSchema(schema);
  if (!g.ok()) return Named(g.status(), field, "json_schema: ");
  return g;
}

absl::StatusOr<GrammarPtr> TextGrammar(const json::value& text, std::string_view field) {
  if (!text.is_string()) return Bad(field, "must be a string (the grammar's text)");
  absl::StatusOr<GrammarPtr> g = text::Grammar::Compile(std::string(text.get_string()));
  if (!g.ok()) return Named(g.status(), field, "grammar: ");
  return g;
}

absl::StatusOr<GrammarPtr> ResponseFormatGrammar(const json::value& format) {
  const json::object* object = format.if_object();
  const json::value* type = object ? object->if_contains("type") : nullptr;
  if (type == nullptr || !type->is_string()) return Bad("response_format", "must be an object with a type");
  const std::string t(type->get_string());
  if (t == "text") return GrammarPtr();
  if (t == "json_object") return text::JsonObjectGrammar();
  if (t != "json_schema") {
    return Bad("response_format.type",
               StrCat("\"", t, "\" is not supported; one of \"text\", \"json_object\", \"json_schema\""));
  }
  const json::value* spec = object->if_contains("json_schema");
  if (spec == nullptr || !spec->is_object()) {
    return Bad("response_format.json_schema", "is required for type \"json_schema\" (an object with a schema)");
  }
  const json::object& s = spec->get_object();
  if (const json::value* strict = s.if_contains("strict"); strict && !strict->is_null() && !strict->is_bool()) {
    return Bad("response_format.json_schema.strict", "must be a boolean");
  }
  const json::value* schema = s.if_contains("schema");
  // Without a schema, any JSON value (what OpenAI does too).
  if (schema == nullptr || schema->is_null()) return SchemaGrammar(json::object(), "response_format.json_schema.schema");
  return SchemaGrammar(*schema, "response_format.json_schema.schema");
}

absl::StatusOr<GrammarPtr> OllamaFormatGrammar(const json::value& format) {
  if (format.is_string()) {
    if (format.get_string().empty()) return GrammarPtr();
    if (format.get_string() == "json") return text::JsonObjectGrammar();
    return Bad("format", "must be \"json\" or a JSON schema");
  }
  return SchemaGrammar(format, "format");
}

absl::Status SetGrammar(GrammarPtr grammar, std::string_view field, GrammarPtr* slot) {
  if (grammar == nullptr) return absl::OkStatus();
  if (*slot != nullptr) return Bad(field, "only one of response_format/format, json_schema and grammar may be given");
  *slot = std::move(grammar);
  return absl::OkStatus();
}

}  // namespace inferd
