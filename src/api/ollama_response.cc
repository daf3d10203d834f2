#include "api/ollama_response.h"

#include <utility>

#include "absl/time/clock.h"
#include "api/ollama_model_info.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "common/strings.h"

namespace inferd::ollama {
namespace {

namespace json = boost::json;

int64_t Nanos(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }
int64_t Nanos(double seconds) { return static_cast<int64_t>(seconds * 1e9); }

json::object Base(const AnswerHeader& header) {
  return json::object{{"model", header.model}, {"created_at", Timestamp(absl::Now())}};
}

// The text of an object: "response" for generate, "message" for chat.
void PutText(json::object& object, const AnswerHeader& header, std::string_view text) {
  if (header.chat) {
    object["message"] = json::object{{"role", "assistant"}, {"content", text}};
  } else {
    object["response"] = text;
  }
}

std::string Line(const json::object& object) { return StrCat(json::serialize(object), "\n"); }

json::array Vector(const std::vector<float>& values) {
  json::array out;
  out.reserve(values.size());
  for (float v : values) out.emplace_back(static_cast<double>(v));
  return out;
}

}  // namespace

std::string_view DoneReason(std::string_view finish_reason) {
  return finish_reason == "stop" ? "stop" : "length";
}

std::string DeltaLine(const AnswerHeader& header, std::string_view text) {
  json::object object = Base(header);
  PutText(object, header, text);
  object["done"] = false;
  return Line(object);
}

json::array OllamaToolCalls(const std::vector<ToolCall>& calls) {
  json::array out;
  for (const ToolCall& call : calls) {
    boost::system::error_code ec;
    json::value args = json::parse(call.arguments, ec);
    if (ec || !args.is_object()) args = json::object();
    out.push_back(json::object{{"function", json::object{{"name", call.name}, {"arguments", std::move(args)}}}});
  }
  return out;
}

std::string ToolCallsLine(const AnswerHeader& header, const std::vector<ToolCall>& calls) {
  json::object object = Base(header);
  object["message"] = json::object{{"role", "assistant"}, {"content", ""}, {"tool_calls", OllamaToolCalls(calls)}};
  object["done"] = false;
  return Line(object);
}

std::string FinalObject(const AnswerHeader& header, const GenerateResult& result, bool streamed,
                        const RequestTimes& times, const std::vector<ToolCall>* calls) {
  json::object object = Base(header);
  PutText(object, header, streamed || calls != nullptr ? std::string_view() : std::string_view(result.text));
  if (calls != nullptr && header.chat) {
    object["message"].as_object()["tool_calls"] = OllamaToolCalls(*calls);
  }
  object["done"] = true;
  object["done_reason"] = DoneReason(result.finish_reason);
  object["total_duration"] = Nanos(times.total);
  object["load_duration"] = Nanos(times.load);
  object["prompt_eval_count"] = result.prompt_tokens;
  object["prompt_eval_duration"] = Nanos(result.prompt_seconds);
  object["eval_count"] = result.generated_tokens;
  object["eval_duration"] = Nanos(result.generation_seconds);
  return Line(object);
}

std::string DoneObject(const AnswerHeader& header, std::string_view done_reason) {
  json::object object = Base(header);
  PutText(object, header, "");
  object["done"] = true;
  object["done_reason"] = done_reason;
  return Line(object);
}

std::string ErrorLine(const absl::Status& status) {
  return Line(json::object{{"error", std::string(status.message())}});
}

std::string EmbedObject(const std::string& model, const std::vector<std::vector<float>>& vectors,
                        int64_t tokens, const RequestTimes& times) {
  json::array embeddings;
  embeddings.reserve(vectors.size());
  for (const std::vector<float>& vector : vectors) embeddings.push_back(Vector(vector));
  return json::serialize(json::object{{"model", model},
                                      {"embeddings", std::move(embeddings)},
                                      {"total_duration", Nanos(times.total)},
                                      {"load_duration", Nanos(times.load)},
                                      {"prompt_eval_count", tokens}});
}

std::string EmbeddingObject(const std::vector<float>& vector) {
  return json::serialize(json::object{{"embedding", Vector(vector)}});
}

}  // namespace inferd::ollama
