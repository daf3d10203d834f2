#include "api/openai_request.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "api/generate_scheduling.h"
#include "api/json_fields.h"
#include "api/structured_output.h"
#include "api/tool_calls.h"
#include "common/strings.h"
#include "text/unicode.h"

namespace inferd {
namespace {

namespace json = boost::json;
using json_fields::Bad;

constexpr int kMaxChatTopLogprobs = 20;
constexpr int kMaxCompletionLogprobs = 5;  // OpenAI's own limit

// The text of a message's content: a string, null, or a list of parts of
// which only text parts are supported.
absl::StatusOr<std::string> ContentText(const json::value& content, const std::string& field) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return std::string(content.get_string());
  if (!content.is_array()) return Bad(field, "must be a string or an array of content parts");
  std::string text;
  const json::array& parts = content.get_array();
  for (size_t j = 0; j < parts.size(); ++j) {
    const std::string part = StrCat(field, "[", j, "]");
    const json::object* object = parts[j].if_object();
    const json::value* type = object ? object->if_contains("type") : nullptr;
    if (type == nullptr || !type->is_string()) return Bad(part, "must be an object with a type");
    if (type->get_string() != "text") {
      return Bad(StrCat(part, ".type"), StrCat("\"", std::string(type->get_string()),
                                               "\" is not supported; only \"text\" parts are"));
    }
    const json::value* value = object->if_contains("text");
    if (value == nullptr || !value->is_string()) return Bad(StrCat(part, ".text"), "must be a string");
    text += value->get_string();
  }
  return text;
}

// Checks one chat message and returns it in the shape chat templates read:
// role, content as a string, and the optional name, tool_calls and
// tool_call_id as sent.
absl::StatusOr<json::object> Message(const json::value& value, size_t i) {
  const std::string field = StrCat("messages[", i, "]");
  const json::object* message = value.if_object();
  if (message == nullptr) return Bad(field, "must be an object");
  const json::value* role = message->if_contains("role");
  if (role == nullptr) return Bad(StrCat(field, ".role"), "is required");
  if (!role->is_string()) return Bad(StrCat(field, ".role"), "must be a string");
  std::string name(role->get_string());
  if (name == "developer") name = "system";  // OpenAI's newer name for it
  if (name != "system" && name != "user" && name != "assistant" && name != "tool") {
    return Bad(StrCat(field, ".role"), StrCat("\"", std::string(role->get_string()),
                                              "\" is not one of system, developer, user, "
                                              "assistant, tool"));
  }
  json::object out{{"role", name}};
  const json::value* content = message->if_contains("content");
  const json::value* tool_calls = message->if_contains("tool_calls");
  if (content == nullptr && !(name == "assistant" && tool_calls != nullptr)) {
    return Bad(StrCat(field, ".content"), "is required");
  }
  absl::StatusOr<std::string> text =
      ContentText(content ? *content : json::value(), StrCat(field, ".content"));
  if (!text.ok()) return text.status();
  if (!text::unicode::IsValidUtf8(*text)) return Bad(StrCat(field, ".content"), "not valid UTF-8");
  out["content"] = *std::move(text);
  if (tool_calls != nullptr && !tool_calls->is_null()) {
    if (absl::Status s = CheckToolCalls(*tool_calls, StrCat(field, ".tool_calls")); !s.ok()) return s;
    out["tool_calls"] = *tool_calls;
  }
  for (const char* key : {"name", "tool_call_id"}) {
    if (const json::value* v = message->if_contains(key); v != nullptr && !v->is_null()) {
      if (!v->is_string()) return Bad(StrCat(field, ".", key), "must be a string");
      if (!text::unicode::IsValidUtf8(v->get_string())) {
        return Bad(StrCat(field, ".", key), "not valid UTF-8");
      }
      out[key] = *v;
    }
  }
  if (name == "tool" && !out.contains("tool_call_id")) {
    return Bad(StrCat(field, ".tool_call_id"), "is required for a tool message");
  }
  return out;
}

// The prompts of a completion request: each a string or token ids.
absl::Status Prompts(const json::value& prompt, std::vector<GenerateInput>* out) {
  const auto tokens = [](const json::array& ids, const std::string& field,
                         GenerateInput* input) -> absl::Status {
    std::vector<int64_t> list;
    for (const json::value& id : ids) {
      absl::StatusOr<int64_t> n = json_fields::Integer(id, field);
      if (!n.ok()) return n.status();
      list.push_back(*n);
    }
    input->prompt_tokens = std::move(list);
    return absl::OkStatus();
  };
  if (prompt.is_string()) {
    out->push_back(GenerateInput{.text_input = std::string(prompt.get_string())});
    return absl::OkStatus();
  }
  if (!prompt.is_array() || prompt.get_array().empty()) {
    return Bad("prompt", "must be a string, a non-empty list of strings or of token ids");
  }
  const json::array& list = prompt.get_array();
  if (list[0].is_number()) {
    out->emplace_back();
    return tokens(list, "prompt", &out->back());
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string field = StrCat("prompt[", i, "]");
    out->emplace_back();
    out->back().prompt_field = field;  // errors about its tokens name it
    if (list[i].is_string()) {
      out->back().text_input = std::string(list[i].get_string());
    } else if (list[i].is_array() && !list[i].get_array().empty()) {
      if (absl::Status s = tokens(list[i].get_array(), field, &out->back()); !s.ok()) return s;
    } else {
      return Bad(field, "must be a string or a non-empty list of token ids");
    }
  }
  return absl::OkStatus();
}

// The sampling and limit fields shared by both requests, into `input`.
absl::Status Common(const json::object& root, OpenAiRequest& request, GenerateInput* input) {
  for (const auto& [key, value] : root) {
    if (value.is_null()) continue;
    const std::string k(key);
    if (k == "max_tokens" || k == "max_completion_tokens") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, k);
      if (!n.ok()) return n.status();
      if (*n < 1) return Bad(k, StrCat(*n, " must be at least 1"));
      input->max_tokens = *n;
      input->max_tokens_field = k;
    } else if (k == "temperature" || k == "top_p" || k == "min_p" || k == "presence_penalty" ||
               k == "frequency_penalty" || k == "repeat_penalty") {
      absl::StatusOr<double> x = json_fields::Number(value, k);
      if (!x.ok()) return x.status();
      std::optional<double>* slot =
          k == "temperature" ? &input->temperature
          : k == "top_p"     ? &input->top_p
          : k == "min_p"     ? &input->min_p
          : k == "presence_penalty" ? &input->presence_penalty
          : k == "frequency_penalty" ? &input->frequency_penalty
                                     : &input->repeat_penalty;
      *slot = *x;
    } else if (k == "top_k") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, k);
      if (!n.ok()) return n.status();
      input->top_k = *n;
    } else if (k == "seed") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, k);
      if (!n.ok()) return n.status();
      input->seed = static_cast<uint64_t>(*n);
    } else if (k == "stop") {
      absl::StatusOr<std::vector<std::string>> stop = json_fields::StringOrList(value, k);
      if (!stop.ok()) return stop.status();
      input->stop = *std::move(stop);
    } else if (k == "n") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, k);
      if (!n.ok()) return n.status();
      if (*n < 1 || *n > kMaxChoicesPerRequest) {
        return Bad("n", StrCat(*n, " must be in [1, ", kMaxChoicesPerRequest, "]"));
      }
      request.n = static_cast<int>(*n);
    } else if (k == "logit_bias") {
      if (!value.is_object()) return Bad(k, "must be an object of token id -> bias");
      for (const auto& [id, bias] : value.get_object()) {
        int64_t token;
        const bool digits = !id.empty() && std::all_of(id.begin(), id.end(), [](char c) {
          return (c >= '0' && c <= '9') || c == '-';
        });
        if (!digits || !absl::SimpleAtoi(absl::string_view(id.data(), id.size()), &token)) {
          return Bad(k, StrCat("key \"", std::string(id), "\" is not a token id"));
        }
        absl::StatusOr<double> b = json_fields::Number(bias, k);
        if (!b.ok()) return b.status();
        input->logit_bias.emplace_back(token, *b);
      }
    } else if (k == "stream") {
      absl::StatusOr<bool> b = json_fields::Bool(value, k);
      if (!b.ok()) return b.status();
      request.stream = *b;
    } else if (k == "stream_options") {
      if (!value.is_object()) return Bad(k, "must be an object");
      if (const json::value* usage = value.get_object().if_contains("include_usage")) {
        absl::StatusOr<bool> b = json_fields::Bool(*usage, "stream_options.include_usage");
        if (!b.ok()) return b.status();
        request.include_usage = *b;
      }
    } else if (k == "ignore_eos") {
      absl::StatusOr<bool> b = json_fields::Bool(value, k);
      if (!b.ok()) return b.status();
      input->ignore_eos = *b;
    } else if (k == "model") {
      absl::StatusOr<std::string> model = json_fields::String(value, k);
      if (!model.ok()) return model.status();
      request.model = *std::move(model);
    } else if (k == "response_format" || k == "grammar") {
      absl::StatusOr<GrammarPtr> g =
          k == "grammar" ? TextGrammar(value, k) : ResponseFormatGrammar(value);
      if (!g.ok()) return g.status();
      if (absl::Status s = SetGrammar(*std::move(g), k, &input->grammar); !s.ok()) return s;
    } else if (k == "best_of") {
      // One sample per choice is all there is: best_of 1 is the default.
      absl::StatusOr<int64_t> n = json_fields::Integer(value, k);
      if (!n.ok()) return n.status();
      if (*n != 1) return Bad(k, StrCat(*n, ": only 1 is supported (use n for several choices)"));
    } else if (k == "suffix" || k == "echo") {
      if (!(k == "echo" && value.is_bool() && !value.get_bool())) return Bad(k, "is not supported");
    } else if (k == "user") {
      // Ignored, but typed as OpenAI types it.
      if (!value.is_string()) return Bad(k, "must be a string");
    } else if (k == "parallel_tool_calls") {
      if (!value.is_bool()) return Bad(k, "must be true or false");
    }
  }
  if (absl::Status s = ReadGenerateScheduling(root, "", input); !s.ok()) return s;
  if (request.model.empty()) return Bad("model", "is required");
  if (request.include_usage && !request.stream) {
    return Bad("stream_options", "is only allowed when stream is true");
  }
  return absl::OkStatus();
}

// Copies `base` n times per prompt into request.choices, seeds apart.
void Expand(OpenAiRequest& request, const GenerateInput& base, std::vector<GenerateInput> prompts) {
  for (GenerateInput& prompt : prompts) {
    for (int i = 0; i < request.n; ++i) {
      GenerateInput choice = base;
      choice.text_input = prompt.text_input;
      choice.prompt_tokens = prompt.prompt_tokens;
      choice.prompt_field = prompt.prompt_field;
      if (choice.seed) *choice.seed += static_cast<uint64_t>(i);
      request.choices.push_back(std::move(choice));
    }
  }
}

}  // namespace

absl::StatusOr<OpenAiRequest> DecodeChatRequest(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  const json::object& root = doc->get_object();
  OpenAiRequest request;
  request.chat = true;
  GenerateInput base;
  if (absl::Status s = Common(root, request, &base); !s.ok()) return s;
  const json::value* messages = root.if_contains("messages");
  if (messages == nullptr || messages->is_null()) return Bad("messages", "is required");
  if (!messages->is_array()) return Bad("messages", "must be an array");
  if (messages->get_array().empty()) return Bad("messages", "must not be empty");
  json::array conversation;
  for (size_t i = 0; i < messages->get_array().size(); ++i) {
    absl::StatusOr<json::object> message = Message(messages->get_array()[i], i);
    if (!message.ok()) return message.status();
    conversation.push_back(*std::move(message));
  }
  base.messages = std::move(conversation);
  if (const json::value* tools = root.if_contains("tools"); tools && !tools->is_null()) {
    if (!tools->is_array()) return Bad("tools", "must be an array");
    if (absl::Status s = json_fields::Utf8Strings(*tools, "tools"); !s.ok()) return s;
    base.tools = *tools;
  }
  if (absl::Status s = DecodeToolChoice(root, &request.tools); !s.ok()) return s;
  if (absl::Status s = SetGrammar(request.tools.forced, "tool_choice", &base.grammar); !s.ok()) return s;
  if (const json::value* kwargs = root.if_contains("chat_template_kwargs");
      kwargs && !kwargs->is_null()) {
    if (!kwargs->is_object()) return Bad("chat_template_kwargs", "must be an object");
    if (absl::Status s = json_fields::Utf8Strings(*kwargs, "chat_template_kwargs"); !s.ok()) return s;
    base.template_kwargs = kwargs->get_object();
  }
  if (const json::value* logprobs = root.if_contains("logprobs"); logprobs && !logprobs->is_null()) {
    absl::StatusOr<bool> on = json_fields::Bool(*logprobs, "logprobs");
    if (!on.ok()) return on.status();
    request.logprobs = *on;
  }
  if (const json::value* top = root.if_contains("top_logprobs"); top && !top->is_null()) {
    absl::StatusOr<int64_t> k = json_fields::Integer(*top, "top_logprobs");
    if (!k.ok()) return k.status();
    if (*k < 0 || *k > kMaxChatTopLogprobs) {
      return Bad("top_logprobs", StrCat(*k, " must be in [0, ", kMaxChatTopLogprobs, "]"));
    }
    if (!request.logprobs) return Bad("top_logprobs", "requires logprobs: true");
    base.logprobs = static_cast<int32_t>(*k);
  } else if (request.logprobs) {
    base.logprobs = 0;
  }
  request.choices.reserve(request.n);
  for (int i = 0; i < request.n; ++i) {
    request.choices.push_back(base);
    if (base.seed) *request.choices.back().seed += static_cast<uint64_t>(i);
  }
  return request;
}

absl::StatusOr<OpenAiRequest> DecodeCompletionRequest(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  const json::object& root = doc->get_object();
  OpenAiRequest request;
  GenerateInput base;
  if (absl::Status s = Common(root, request, &base); !s.ok()) return s;
  const json::value* prompt = root.if_contains("prompt");
  if (prompt == nullptr || prompt->is_null()) return Bad("prompt", "is required");
  std::vector<GenerateInput> prompts;
  if (absl::Status s = Prompts(*prompt, &prompts); !s.ok()) return s;
  if (prompts.size() * request.n > static_cast<size_t>(kMaxChoicesPerRequest)) {
    return Bad("prompt", StrCat(prompts.size(), " prompts x n = ", request.n, " exceeds ",
                                kMaxChoicesPerRequest, " choices per request"));
  }
  if (const json::value* logprobs = root.if_contains("logprobs"); logprobs && !logprobs->is_null()) {
    absl::StatusOr<int64_t> k = json_fields::Integer(*logprobs, "logprobs");
    if (!k.ok()) return k.status();
    if (*k < 0 || *k > kMaxCompletionLogprobs) {
      return Bad("logprobs", StrCat(*k, " must be in [0, ", kMaxCompletionLogprobs, "]"));
    }
    request.logprobs = true;
    base.logprobs = static_cast<int32_t>(*k);
  }
  Expand(request, base, std::move(prompts));
  return request;
}

std::string ErrorParam(std::string_view message) {
  size_t end = 0;
  while (end < message.size() &&
         (absl::ascii_isalnum(message[end]) || message[end] == '_' || message[end] == '.' ||
          message[end] == '[' || message[end] == ']')) {
    ++end;
  }
  if (end == 0 || end == message.size()) return "";
  if (message[end] != ':' && message.substr(end, 3) != " = ") return "";
  return std::string(message.substr(0, end));
}

}  // namespace inferd
