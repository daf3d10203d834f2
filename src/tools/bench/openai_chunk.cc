#include "tools/bench/openai_chunk.h"

#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

constexpr size_t kMaxQuoted = 120;

bool NonEmptyString(const json::value* v) {
  return v != nullptr && v->is_string() && !v->get_string().empty();
}

int64_t Count(const json::object& usage, std::string_view key) {
  const json::value* v = usage.if_contains(key);
  if (v == nullptr) return -1;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->get_uint64());
  return -1;
}

std::string ErrorMessage(const json::value& error) {
  if (error.is_string()) return std::string(error.get_string());
  if (error.is_object()) {
    const json::value* message = error.get_object().if_contains("message");
    if (message != nullptr && message->is_string()) {
      return std::string(message->get_string());
    }
  }
  return json::serialize(error);
}

std::string Cut(std::string_view data) {
  std::string quoted(data.substr(0, kMaxQuoted));
  if (data.size() > kMaxQuoted) quoted += "...";
  return quoted;
}

}  // namespace

std::string StreamErrorMessage(std::string_view data) {
  boost::system::error_code ec;
  json::value doc =
      json::parse(json::string_view(data.data(), data.size()), ec);
  if (!ec && doc.is_object()) {
    const json::value* message = doc.get_object().if_contains("message");
    if (message != nullptr && message->is_string() &&
        !message->get_string().empty()) {
      return std::string(message->get_string());
    }
  }
  return data.empty() ? "(empty error event)" : Cut(data);
}

absl::StatusOr<OpenAiChunk> ParseOpenAiChunk(std::string_view data) {
  OpenAiChunk chunk;
  if (data == "[DONE]") {
    chunk.done = true;
    return chunk;
  }
  boost::system::error_code ec;
  json::value doc =
      json::parse(json::string_view(data.data(), data.size()), ec);
  if (ec || !doc.is_object()) {
    return absl::InvalidArgumentError(
        StrCat("a stream event is not a JSON object: ", Cut(data)));
  }
  const json::object& object = doc.get_object();
  if (const json::value* error = object.if_contains("error");
      error != nullptr && !error->is_null()) {
    chunk.error = ErrorMessage(*error);
    if (chunk.error.empty()) chunk.error = "(empty error)";
  }
  if (const json::value* usage = object.if_contains("usage");
      usage != nullptr && usage->is_object()) {
    chunk.completion_tokens = Count(usage->get_object(), "completion_tokens");
    chunk.prompt_tokens = Count(usage->get_object(), "prompt_tokens");
  }
  const json::value* choices = object.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return chunk;
  for (const json::value& choice : choices->get_array()) {
    if (!choice.is_object()) continue;
    const json::object& c = choice.get_object();
    bool has_text = NonEmptyString(c.if_contains("text"));
    if (const json::value* delta = c.if_contains("delta");
        delta != nullptr && delta->is_object()) {
      has_text = has_text ||
                 NonEmptyString(delta->get_object().if_contains("content"));
    }
    if (has_text) ++chunk.text_choices;
    const json::value* finish = c.if_contains("finish_reason");
    if (chunk.finish_reason.empty() && NonEmptyString(finish)) {
      chunk.finish_reason = std::string(finish->get_string());
    }
  }
  return chunk;
}

}  // namespace inferd::bench
