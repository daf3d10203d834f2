#include "api/tool_calls.h"

#include <algorithm>

#include "api/json_fields.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "common/strings.h"
#include "text/json_schema_grammar.h"

namespace inferd {
namespace {

namespace json = boost::json;
using json_fields::Bad;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// One call object: {"name", "arguments" | "parameters"} with a known name.
std::optional<ToolCall> Call(const json::value& v, const std::vector<std::string>& names) {
  const json::object* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  const json::value* name = o->if_contains("name");
  if (name == nullptr || !name->is_string()) return std::nullopt;
  ToolCall call{std::string(name->get_string()), "{}"};
  if (std::find(names.begin(), names.end(), call.name) == names.end()) return std::nullopt;
  const json::value* args = o->if_contains("arguments");
  if (args == nullptr) args = o->if_contains("parameters");
  if (args != nullptr) {
    if (args->is_string()) {
      call.arguments = std::string(args->get_string());
    } else if (args->is_object()) {
      call.arguments = json::serialize(*args);
    } else {
      return std::nullopt;
    }
  }
  return call;
}

// A JSON object or a list of them, each a call.
std::optional<std::vector<ToolCall>> Calls(std::string_view text, const std::vector<std::string>& names) {
  boost::system::error_code ec;
  const json::value v = json::parse(Trim(text), ec);
  if (ec) return std::nullopt;
  std::vector<ToolCall> calls;
  if (v.is_array()) {
    for (const json::value& item : v.get_array()) {
      std::optional<ToolCall> c = Call(item, names);
      if (!c) return std::nullopt;
      calls.push_back(*std::move(c));
    }
    if (calls.empty()) return std::nullopt;
    return calls;
  }
  std::optional<ToolCall> c = Call(v, names);
  if (!c) return std::nullopt;
  calls.push_back(*std::move(c));
  return calls;
}

}  // namespace

absl::Status CheckToolCalls(const json::value& calls, const std::string& field) {
  if (!calls.is_array()) return Bad(field, "must be an array");
  for (size_t i = 0; i < calls.get_array().size(); ++i) {
    const std::string call = StrCat(field, "[", i, "]");
    const json::object* o = calls.get_array()[i].if_object();
    if (o == nullptr) return Bad(call, "must be an object");
    if (const json::value* id = o->if_contains("id"); id && !id->is_null() && !id->is_string()) {
      return Bad(call + ".id", "must be a string");
    }
    if (const json::value* type = o->if_contains("type");
        type && !type->is_null() && !(type->is_string() && type->get_string() == "function")) {
      return Bad(call + ".type", "must be \"function\"");
    }
    const json::value* function = o->if_contains("function");
    if (function == nullptr || !function->is_object()) {
      return Bad(call + ".function", "is required (an object with a name and arguments)");
    }
    const json::value* name = function->get_object().if_contains("name");
    if (name == nullptr || !name->is_string() || name->get_string().empty()) {
      return Bad(call + ".function.name", "is required (a non-empty string)");
    }
    const json::value* arguments = function->get_object().if_contains("arguments");
    if (arguments == nullptr || !(arguments->is_string() || arguments->is_object())) {
      return Bad(call + ".function.arguments", "is required (a JSON string or an object)");
    }
  }
  return json_fields::Utf8Strings(calls, field);
}

absl::Status DecodeToolChoice(const json::object& root, ToolChoice* out) {
  const json::value* tools = root.if_contains("tools");
  std::vector<const json::value*> parameters;
  if (tools != nullptr && !tools->is_null()) {
    if (!tools->is_array()) return Bad("tools", "must be an array");
    for (size_t i = 0; i < tools->get_array().size(); ++i) {
      const std::string field = StrCat("tools[", i, "]");
      const json::object* tool = tools->get_array()[i].if_object();
      if (tool == nullptr) return Bad(field, "must be an object");
      const json::value* type = tool->if_contains("type");
      if (type != nullptr && !(type->is_string() && type->get_string() == "function")) {
        return Bad(field + ".type", "must be \"function\"");
      }
      const json::value* function = tool->if_contains("function");
      if (function == nullptr || !function->is_object()) return Bad(field + ".function", "is required (an object)");
      const json::value* name = function->get_object().if_contains("name");
      if (name == nullptr || !name->is_string() || name->get_string().empty()) {
        return Bad(field + ".function.name", "is required (a non-empty string)");
      }
      out->names.push_back(std::string(name->get_string()));
      const json::value* params = function->get_object().if_contains("parameters");
      if (params != nullptr && !params->is_null() && !params->is_object()) {
        return Bad(field + ".function.parameters", "must be a JSON schema (an object)");
      }
      parameters.push_back(params);
    }
  }
  std::string choice = out->names.empty() ? "none" : "auto";
  std::string named;
  if (const json::value* c = root.if_contains("tool_choice"); c != nullptr && !c->is_null()) {
    if (c->is_string()) {
      choice = std::string(c->get_string());
      if (choice != "none" && choice != "auto" && choice != "required") {
        return Bad("tool_choice", "must be \"none\", \"auto\", \"required\" or a function");
      }
    } else if (const json::object* o = c->if_object()) {
      const json::value* f = o->if_contains("function");
      const json::value* name = f && f->is_object() ? f->get_object().if_contains("name") : nullptr;
      if (name == nullptr || !name->is_string()) return Bad("tool_choice.function.name", "is required");
      choice = "function";
      named = std::string(name->get_string());
      if (std::find(out->names.begin(), out->names.end(), named) == out->names.end()) {
        return Bad("tool_choice.function.name", StrCat("\"", named, "\" is not one of the request's tools"));
      }
    } else {
      return Bad("tool_choice", "must be a string or an object");
    }
  }
  if (choice == "required" && out->names.empty()) return Bad("tool_choice", "\"required\" needs tools");
  out->parse = choice != "none";
  if (choice != "required" && choice != "function") return absl::OkStatus();
  // One call of the allowed functions, its arguments under the parameters'
  // schema.
  json::array alternatives;
  for (size_t i = 0; i < out->names.size(); ++i) {
    if (choice == "function" && out->names[i] != named) continue;
    json::value args = parameters[i] && !parameters[i]->is_null() ? *parameters[i] : json::value(json::object{{"type", "object"}});
    alternatives.push_back(json::object{
        {"type", "object"},
        {"properties", json::object{{"name", json::object{{"const", out->names[i]}}}, {"arguments", args}}},
        {"required", json::array{"name", "arguments"}},
        {"additionalProperties", false}});
  }
  const json::value schema = json::object{{"anyOf", std::move(alternatives)}};
  absl::StatusOr<std::shared_ptr<const text::Grammar>> g = text::CompileJsonSchema(schema);
  if (!g.ok()) {
    std::string message(g.status().message());
    if (message.rfind("json_schema: ", 0) == 0) message.erase(0, 13);
    return Bad("tools", StrCat("a function's parameters: ", message));
  }
  out->forced = *std::move(g);
  // The same grammar with its root wrapped in the tags.
  absl::StatusOr<std::string> text = text::JsonSchemaToGrammarText(schema);
  if (!text.ok()) return text.status();
  text->insert(0, "\n");
  const size_t at = text->find("\nroot ::= ");
  if (at == std::string::npos) return absl::InternalError("tool call grammar without a root");
  text->replace(at, 10, "\ntool-call ::= ");
  absl::StatusOr<std::shared_ptr<const text::Grammar>> tagged = text::Grammar::Compile(
      StrCat("root ::= \"<tool_call>\\n\" tool-call \"\\n</tool_call>\"\n", *text));
  if (!tagged.ok()) return tagged.status();
  out->forced_tagged = *std::move(tagged);
  return absl::OkStatus();
}

void UseTemplateSyntax(const ToolChoice& choice, std::string_view template_source,
                       std::shared_ptr<const text::Grammar>* grammar) {
  if (choice.forced == nullptr || *grammar != choice.forced || choice.forced_tagged == nullptr) return;
  if (template_source.find("<tool_call>") != std::string_view::npos) *grammar = choice.forced_tagged;
}

std::optional<std::vector<ToolCall>> ParseToolCalls(std::string_view text,
                                                    const std::vector<std::string>& names) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>", kMistral = "[TOOL_CALLS]";
  if (text.substr(0, kOpen.size()) == kOpen) {
    std::vector<ToolCall> calls;
    while (!text.empty()) {
      if (text.substr(0, kOpen.size()) != kOpen) return std::nullopt;
      text.remove_prefix(kOpen.size());
      const size_t end = text.find(kClose);
      std::optional<std::vector<ToolCall>> c = Calls(text.substr(0, end), names);
      if (!c) return std::nullopt;
      calls.insert(calls.end(), c->begin(), c->end());
      if (end == std::string_view::npos) break;  // an unclosed last block
      text = Trim(text.substr(end + kClose.size()));
    }
    return calls;
  }
  if (text.substr(0, kMistral.size()) == kMistral) text.remove_prefix(kMistral.size());
  return Calls(text, names);
}

json::array ToolCallsJson(const std::vector<ToolCall>& calls, std::string_view id_seed, bool index) {
  json::array out;
  for (size_t i = 0; i < calls.size(); ++i) {
    json::object call{{"id", StrCat("call_", id_seed, "_", i)},
                      {"type", "function"},
                      {"function", json::object{{"name", calls[i].name}, {"arguments", calls[i].arguments}}}};
    if (index) call["index"] = i;
    out.push_back(std::move(call));
  }
  return out;
}

}  // namespace inferd
