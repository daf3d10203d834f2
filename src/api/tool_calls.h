#pragma once

// OpenAI's function calling: the `tools` and `tool_choice` of a chat
// request, and the tool calls a model writes, parsed back into
// `message.tool_calls`.
//
// tool_choice "auto" (the default with tools) lets the model answer or call;
// "none" never parses calls; "required" and a named function constrain the
// answer with a grammar to one call `{"name": ..., "arguments": {...}}` whose
// arguments follow the function's parameter schema. Calls are recognised in
// the syntaxes of the common template families: Qwen/Hermes
// `<tool_call>{...}</tool_call>` blocks, Mistral `[TOOL_CALLS] [{...}]`,
// and a bare JSON object (or list) with "name" and "arguments" or
// "parameters" (Llama 3.x, and the generic fallback). Only calls of the
// request's functions count.
//
// Stateless; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "text/grammar.h"

namespace inferd {

struct ToolChoice {
  std::vector<std::string> names;  // the request's functions
  bool parse = false;              // look for calls in the answer
  std::shared_ptr<const text::Grammar> forced;  // "required" / a named function
  // The same call inside Qwen/Hermes tags, `<tool_call>\n{...}\n</tool_call>`,
  // for models whose chat template teaches that syntax (UseTemplateSyntax).
  std::shared_ptr<const text::Grammar> forced_tagged;
};

// Checks an assistant message's `tool_calls` as clients send them back:
// each {"id"?, "type"?: "function", "function": {"name", "arguments"}} with
// arguments a JSON string (OpenAI) or an object (Ollama), all text valid
// UTF-8. InvalidArgument names `field`[i] and the part that is wrong.
absl::Status CheckToolCalls(const boost::json::value& calls, const std::string& field);

// Checks `tools` and `tool_choice` of `root`; InvalidArgument names the
// field (a tool without a name, a tool_choice naming an unknown function).
absl::Status DecodeToolChoice(const boost::json::object& root, ToolChoice* out);

// Swaps `*grammar` for choice.forced_tagged when it is choice.forced and
// `template_source` (the model's chat template) uses <tool_call> tags.
void UseTemplateSyntax(const ToolChoice& choice, std::string_view template_source,
                       std::shared_ptr<const text::Grammar>* grammar);

struct ToolCall {
  std::string name;
  std::string arguments;  // a JSON object, serialized
};

// The calls in `text`, or nullopt when it is not (only) tool calls.
std::optional<std::vector<ToolCall>> ParseToolCalls(std::string_view text,
                                                    const std::vector<std::string>& names);

// OpenAI's tool_calls array (ids "call_<response id suffix>_<i>"); with
// `index` each entry carries its index, as stream deltas do.
boost::json::array ToolCallsJson(const std::vector<ToolCall>& calls, std::string_view id_seed,
                                 bool index);

}  // namespace inferd
