#include "api/ollama_request.h"

#include <cmath>
#include <utility>

#include "absl/strings/numbers.h"
#include "api/json_fields.h"
#include "api/structured_output.h"
#include "api/tool_calls.h"
#include "common/strings.h"
#include "text/unicode.h"

namespace inferd {
namespace {

namespace json = boost::json;
using json_fields::Bad;

constexpr std::string_view kLatest = ":latest";

bool Absent(const json::value* v) { return v == nullptr || v->is_null(); }

// `value` must be absent, null, "" or an empty array: what inferd cannot do.
absl::Status Refused(const json::object& root, const char* field, std::string_view why) {
  const json::value* v = root.if_contains(field);
  if (Absent(v)) return absl::OkStatus();
  if (v->is_string() && v->get_string().empty()) return absl::OkStatus();
  if (v->is_array() && v->get_array().empty()) return absl::OkStatus();
  return Bad(field, why);
}

// The fields /api/generate and /api/chat share: model, stream, keep_alive,
// options, format, think.
absl::Status Common(const json::object& root, OllamaRequest& request) {
  const json::value* model = root.if_contains("model");
  if (Absent(model)) return Bad("model", "is required");
  absl::StatusOr<std::string> sent = json_fields::String(*model, "model");
  if (!sent.ok()) return sent.status();
  absl::StatusOr<std::string> name = OllamaModelName(*sent);
  if (!name.ok()) return name.status();
  request.model = *std::move(sent);
  request.name = *std::move(name);
  if (const json::value* stream = root.if_contains("stream"); !Absent(stream)) {
    absl::StatusOr<bool> on = json_fields::Bool(*stream, "stream");
    if (!on.ok()) return on.status();
    request.stream = *on;
  }
  if (const json::value* keep = root.if_contains("keep_alive"); !Absent(keep)) {
    absl::StatusOr<absl::Duration> d = ParseKeepAlive(*keep);
    if (!d.ok()) return d.status();
    request.keep_alive = *d;
  }
  if (const json::value* format = root.if_contains("format"); !Absent(format)) {
    absl::StatusOr<GrammarPtr> g = OllamaFormatGrammar(*format);
    if (!g.ok()) return g.status();
    request.input.grammar = *std::move(g);
  }
  if (const json::value* think = root.if_contains("think"); !Absent(think)) {
    if (!(think->is_bool() && !think->get_bool())) {
      return Bad("think", "thinking is not supported; leave it out or set it to false");
    }
  }
  const json::value* options = root.if_contains("options");
  if (Absent(options)) return absl::OkStatus();
  if (!options->is_object()) return Bad("options", "must be an object");
  GenerateInput& input = request.input;
  for (const auto& [key, value] : options->get_object()) {
    if (value.is_null()) continue;
    const std::string k(key);
    const std::string field = StrCat("options.", k);
    if (k == "num_predict") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, field);
      if (!n.ok()) return n.status();
      if (*n == -1 || *n == -2) {
        request.until_context = true;
      } else if (*n < 1) {
        return Bad(field, StrCat(*n, " must be -1 (until the context is full) or at least 1"));
      } else {
        input.max_tokens = *n;
      }
    } else if (k == "temperature" || k == "top_p" || k == "min_p" || k == "repeat_penalty" ||
               k == "presence_penalty" || k == "frequency_penalty") {
      absl::StatusOr<double> x = json_fields::Number(value, field);
      if (!x.ok()) return x.status();
      std::optional<double>* slot = k == "temperature"        ? &input.temperature
                                    : k == "top_p"            ? &input.top_p
                                    : k == "min_p"            ? &input.min_p
                                    : k == "repeat_penalty"   ? &input.repeat_penalty
                                    : k == "presence_penalty" ? &input.presence_penalty
                                                              : &input.frequency_penalty;
      *slot = *x;
    } else if (k == "top_k") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, field);
      if (!n.ok()) return n.status();
      input.top_k = *n;
    } else if (k == "seed") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, field);
      if (!n.ok()) return n.status();
      if (*n >= 0) input.seed = static_cast<uint64_t>(*n);  // negative: random, as Ollama
    } else if (k == "stop") {
      absl::StatusOr<std::vector<std::string>> stop = json_fields::StringOrList(value, field);
      if (!stop.ok()) return stop.status();
      input.stop = *std::move(stop);
    } else if (k == "num_ctx") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, field);
      if (!n.ok()) return n.status();
      if (*n < 1) return Bad(field, StrCat(*n, " must be at least 1"));
      request.num_ctx = *n;
    }
  }
  return absl::OkStatus();
}

// A string field, "" when absent or null.
absl::StatusOr<std::string> OptionalString(const json::object& root, const char* field) {
  const json::value* v = root.if_contains(field);
  if (Absent(v)) return std::string();
  return json_fields::String(*v, field);
}

// One chat message in the shape chat templates read: role, content, and
// tool_calls / tool_name as sent.
absl::StatusOr<json::object> Message(const json::value& value, size_t i) {
  const std::string field = StrCat("messages[", i, "]");
  const json::object* message = value.if_object();
  if (message == nullptr) return Bad(field, "must be an object");
  const json::value* role = message->if_contains("role");
  if (Absent(role)) return Bad(StrCat(field, ".role"), "is required");
  if (!role->is_string()) return Bad(StrCat(field, ".role"), "must be a string");
  const std::string name(role->get_string());
  if (name != "system" && name != "user" && name != "assistant" && name != "tool") {
    return Bad(StrCat(field, ".role"),
               StrCat("\"", name, "\" is not one of system, user, assistant, tool"));
  }
  std::string content;
  if (const json::value* v = message->if_contains("content"); !Absent(v)) {
    if (!v->is_string()) return Bad(StrCat(field, ".content"), "must be a string");
    content = std::string(v->get_string());
  }
  if (!text::unicode::IsValidUtf8(content)) {
    return Bad(StrCat(field, ".content"), "not valid UTF-8");
  }
  if (const json::value* images = message->if_contains("images");
      !Absent(images) && !(images->is_array() && images->get_array().empty())) {
    return Bad(StrCat(field, ".images"), "images are not supported (no vision models)");
  }
  json::object out{{"role", name}, {"content", std::move(content)}};
  if (const json::value* calls = message->if_contains("tool_calls"); !Absent(calls)) {
    if (absl::Status s = CheckToolCalls(*calls, StrCat(field, ".tool_calls")); !s.ok()) return s;
    out["tool_calls"] = *calls;
  }
  if (const json::value* tool = message->if_contains("tool_name"); !Absent(tool)) {
    if (!tool->is_string()) return Bad(StrCat(field, ".tool_name"), "must be a string");
    if (!text::unicode::IsValidUtf8(tool->get_string())) {
      return Bad(StrCat(field, ".tool_name"), "not valid UTF-8");
    }
    out["tool_name"] = *tool;
    out["name"] = *tool;  // what Hugging Face templates read
  }
  return out;
}

// "model" or the older "name", resolved.
absl::Status ModelField(const json::object& root, std::string* model, std::string* name) {
  const json::value* v = root.if_contains("model");
  const char* field = "model";
  if (Absent(v) || (v->is_string() && v->get_string().empty())) {
    v = root.if_contains("name");
    field = "name";
  }
  if (Absent(v)) return Bad("model", "is required");
  absl::StatusOr<std::string> sent = json_fields::String(*v, field);
  if (!sent.ok()) return sent.status();
  absl::StatusOr<std::string> resolved = OllamaModelName(*sent);
  if (!resolved.ok()) return resolved.status();
  *model = *std::move(sent);
  *name = *std::move(resolved);
  return absl::OkStatus();
}

absl::Status EmbedCommon(const json::object& root, OllamaEmbedRequest& request) {
  if (absl::Status s = ModelField(root, &request.model, &request.name); !s.ok()) return s;
  if (const json::value* keep = root.if_contains("keep_alive"); !Absent(keep)) {
    absl::StatusOr<absl::Duration> d = ParseKeepAlive(*keep);
    if (!d.ok()) return d.status();
    request.keep_alive = *d;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> OllamaModelName(std::string_view model) {
  if (model.empty()) return Bad("model", "is required");
  std::string_view name = model;
  if (name.size() > kLatest.size() && name.substr(name.size() - kLatest.size()) == kLatest) {
    name.remove_suffix(kLatest.size());
  }
  if (name.find(':') != std::string_view::npos || name.find('/') != std::string_view::npos) {
    return absl::NotFoundError(StrCat("model \"", model, "\" not found: inferd serves each model "
                                      "of its repository as \"name\" or \"name:latest\""));
  }
  return std::string(name);
}

absl::StatusOr<absl::Duration> ParseKeepAlive(const json::value& value) {
  constexpr std::string_view kRule =
      "must be a duration (\"5m\", \"1h30m\", \"30s\", \"0\"), a number of seconds, or negative "
      "to keep the model loaded";
  double seconds = 0;
  if (value.is_number()) {
    seconds = value.to_number<double>();
  } else if (value.is_string()) {
    const std::string text(value.get_string());
    absl::Duration d;
    if (absl::ParseDuration(text, &d)) {
      return d < absl::ZeroDuration() ? absl::InfiniteDuration() : d;
    }
    if (!absl::SimpleAtod(text, &seconds)) return Bad("keep_alive", kRule);
  } else {
    return Bad("keep_alive", kRule);
  }
  if (!std::isfinite(seconds)) return Bad("keep_alive", kRule);
  if (seconds < 0) return absl::InfiniteDuration();
  return absl::Seconds(seconds);
}

absl::StatusOr<OllamaRequest> DecodeOllamaGenerate(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  const json::object& root = doc->get_object();
  OllamaRequest request;
  if (absl::Status s = Common(root, request); !s.ok()) return s;
  absl::StatusOr<std::string> prompt = OptionalString(root, "prompt");
  if (!prompt.ok()) return prompt.status();
  absl::StatusOr<std::string> system = OptionalString(root, "system");
  if (!system.ok()) return system.status();
  if (!text::unicode::IsValidUtf8(*prompt)) return Bad("prompt", "not valid UTF-8");
  if (!text::unicode::IsValidUtf8(*system)) return Bad("system", "not valid UTF-8");
  request.prompt = *std::move(prompt);
  request.system = *std::move(system);
  request.has_prompt = !request.prompt.empty();
  if (const json::value* raw = root.if_contains("raw"); !Absent(raw)) {
    absl::StatusOr<bool> on = json_fields::Bool(*raw, "raw");
    if (!on.ok()) return on.status();
    request.raw = *on;
  }
  for (const auto& [field, why] :
       {std::pair{"suffix", "fill-in-the-middle is not supported"},
        std::pair{"images", "images are not supported (no vision models)"},
        std::pair{"template", "Go templates are not supported: the model's chat template is used "
                              "(or none with \"raw\": true)"},
        std::pair{"context", "the context of an earlier answer is not supported; use /api/chat "
                             "with the conversation"}}) {
    if (absl::Status s = Refused(root, field, why); !s.ok()) return s;
  }
  return request;
}

absl::StatusOr<OllamaRequest> DecodeOllamaChat(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  const json::object& root = doc->get_object();
  OllamaRequest request;
  request.chat = true;
  if (absl::Status s = Common(root, request); !s.ok()) return s;
  const json::value* messages = root.if_contains("messages");
  if (!Absent(messages)) {
    if (!messages->is_array()) return Bad("messages", "must be an array");
    json::array conversation;
    for (size_t i = 0; i < messages->get_array().size(); ++i) {
      absl::StatusOr<json::object> message = Message(messages->get_array()[i], i);
      if (!message.ok()) return message.status();
      conversation.push_back(*std::move(message));
    }
    request.has_prompt = !conversation.empty();
    request.input.messages = std::move(conversation);
  }
  if (const json::value* tools = root.if_contains("tools"); !Absent(tools)) {
    if (!tools->is_array()) return Bad("tools", "must be an array");
    if (absl::Status s = json_fields::Utf8Strings(*tools, "tools"); !s.ok()) return s;
    request.input.tools = *tools;
    ToolChoice choice;
    if (absl::Status s = DecodeToolChoice(root, &choice); !s.ok()) return s;
    request.tool_names = std::move(choice.names);
  }
  request.input.prompt_field = "messages";
  return request;
}

absl::StatusOr<GenerateInput> OllamaGenerateInput(const ModelVersion& model,
                                                  OllamaRequest request) {
  GenerateInput input = std::move(request.input);
  if (const GenerationScheduler* generator = model.generator()) {
    const int64_t context = generator->engine_options().max_context;
    if (request.num_ctx && *request.num_ctx > context) {
      return Bad("options.num_ctx", StrCat(*request.num_ctx, " exceeds the model's context length ",
                                           context, " (its context_length parameter)"));
    }
    if (request.until_context) input.max_tokens = context;
  }
  if (request.chat) return input;
  if (request.raw) {
    input.text_input = std::move(request.prompt);
  } else if (model.chat_template() != nullptr) {
    json::array messages;
    if (!request.system.empty()) {
      messages.push_back(json::object{{"role", "system"}, {"content", request.system}});
    }
    messages.push_back(json::object{{"role", "user"}, {"content", request.prompt}});
    input.messages = std::move(messages);
  } else {
    input.text_input = request.system.empty() ? std::move(request.prompt)
                                              : StrCat(request.system, "\n\n", request.prompt);
  }
  return input;
}

absl::StatusOr<OllamaEmbedRequest> DecodeOllamaEmbed(std::string_view body, size_t max_inputs) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  auto shared = std::make_shared<const json::value>(*std::move(doc));
  const json::object& root = shared->get_object();
  OllamaEmbedRequest request;
  if (absl::Status s = EmbedCommon(root, request); !s.ok()) return s;
  if (const json::value* input = root.if_contains("input"); !Absent(input)) {
    if (input->is_string()) {
      if (input->get_string().empty()) return Bad("input", "must not be an empty string");
      request.inputs.push_back(input);
    } else if (input->is_array()) {
      const json::array& list = input->get_array();
      if (list.size() > max_inputs) {
        return Bad("input", StrCat(list.size(), " strings; at most ", max_inputs, " are accepted"));
      }
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string field = StrCat("input[", i, "]");
        if (!list[i].is_string()) return Bad(field, "must be a string");
        if (list[i].get_string().empty()) return Bad(field, "must not be an empty string");
        request.inputs.push_back(&list[i]);
      }
    } else {
      return Bad("input", "must be a string or an array of strings");
    }
  }
  if (const json::value* truncate = root.if_contains("truncate"); !Absent(truncate)) {
    absl::StatusOr<bool> on = json_fields::Bool(*truncate, "truncate");
    if (!on.ok()) return on.status();
    if (!*on) {
      return Bad("truncate", "false is not supported: inputs are truncated to the model's "
                             "max_length");
    }
  }
  if (const json::value* dimensions = root.if_contains("dimensions"); !Absent(dimensions)) {
    absl::StatusOr<int64_t> n = json_fields::Integer(*dimensions, "dimensions");
    if (!n.ok()) return n.status();
    if (*n < 1) return Bad("dimensions", StrCat(*n, " must be at least 1"));
    request.dimensions = *n;
  }
  // Sampling options mean nothing to an embedding; Ollama still wants an object.
  if (const json::value* options = root.if_contains("options");
      !Absent(options) && !options->is_object()) {
    return Bad("options", "must be an object");
  }
  request.body = std::move(shared);
  return request;
}

absl::StatusOr<OllamaEmbedRequest> DecodeOllamaEmbeddings(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  auto shared = std::make_shared<const json::value>(*std::move(doc));
  const json::object& root = shared->get_object();
  OllamaEmbedRequest request;
  if (absl::Status s = EmbedCommon(root, request); !s.ok()) return s;
  if (const json::value* prompt = root.if_contains("prompt"); !Absent(prompt)) {
    if (!prompt->is_string()) return Bad("prompt", "must be a string");
    if (!prompt->get_string().empty()) request.inputs.push_back(prompt);
  }
  request.body = std::move(shared);
  return request;
}

absl::StatusOr<OllamaModelRequest> DecodeOllamaModelRequest(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  const json::object& root = doc->get_object();
  OllamaModelRequest request;
  if (absl::Status s = ModelField(root, &request.model, &request.name); !s.ok()) return s;
  if (const json::value* stream = root.if_contains("stream"); !Absent(stream)) {
    absl::StatusOr<bool> on = json_fields::Bool(*stream, "stream");
    if (!on.ok()) return on.status();
    request.stream = *on;
  }
  return request;
}

absl::Status OllamaFieldError(const absl::Status& status, bool chat) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return status;
  static constexpr std::pair<std::string_view, std::string_view> kFields[] = {
      {"messages", "prompt"},
      {"max_tokens", "options.num_predict"},
      {"temperature", "options.temperature"},
      {"top_p", "options.top_p"},
      {"top_k", "options.top_k"},
      {"min_p", "options.min_p"},
      {"presence_penalty", "options.presence_penalty"},
      {"frequency_penalty", "options.frequency_penalty"},
      {"repeat_penalty", "options.repeat_penalty"},
      {"stop", "options.stop"},
  };
  const std::string_view message(status.message().data(), status.message().size());
  for (const auto& [ours, theirs] : kFields) {
    if (message.substr(0, ours.size()) != ours || (chat && ours == "messages")) continue;
    const std::string_view rest = message.substr(ours.size());
    if (rest.substr(0, 1) == ":" || rest.substr(0, 3) == " = ") {
      return absl::InvalidArgumentError(StrCat(theirs, rest));
    }
  }
  return status;
}

}  // namespace inferd
