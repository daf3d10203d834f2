#include "api/openai_response.h"

#include <random>
#include <utility>

#include "absl/strings/str_format.h"
#include "api/openai_request.h"
#include "api/status_http.h"
#include "boost/json/serialize.hpp"
#include "common/strings.h"
#include "text/unicode.h"

namespace inferd::openai {
namespace {

namespace json = boost::json;

// Token bytes as JSON text: invalid UTF-8 (part of a character) becomes
// U+FFFD; `bytes` keeps the exact bytes, as OpenAI does.
json::array Bytes(const std::string& bytes) {
  json::array out;
  for (unsigned char c : bytes) out.push_back(c);
  return out;
}

json::object ChatTokenLogprob(const std::string& bytes, float logprob) {
  return json::object{{"token", text::unicode::DecodeLossy(bytes)},
                      {"logprob", logprob},
                      {"bytes", Bytes(bytes)}};
}

// Chat: {"content": [{token, logprob, bytes, top_logprobs: [...]}]}.
json::value ChatLogprobs(const std::vector<TokenLogprobs>& tokens) {
  json::array content;
  for (const TokenLogprobs& t : tokens) {
    json::object entry = ChatTokenLogprob(t.bytes, t.logprob);
    json::array top;
    for (const TokenLogprobs::Alternative& a : t.top) top.push_back(ChatTokenLogprob(a.bytes, a.logprob));
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return json::object{{"content", std::move(content)}, {"refusal", nullptr}};
}

// Completions: {"tokens", "token_logprobs", "top_logprobs", "text_offset"};
// offsets count from `offset`, the text already sent for this choice.
json::value CompletionLogprobs(const std::vector<TokenLogprobs>& tokens, size_t offset) {
  json::array texts, logprobs, tops, offsets;
  for (const TokenLogprobs& t : tokens) {
    texts.push_back(json::string(text::unicode::DecodeLossy(t.bytes)));
    logprobs.push_back(t.logprob);
    json::object top;
    for (const TokenLogprobs::Alternative& a : t.top) top[text::unicode::DecodeLossy(a.bytes)] = a.logprob;
    tops.push_back(std::move(top));
    offsets.push_back(offset);
    offset += t.bytes.size();
  }
  return json::object{{"tokens", std::move(texts)},
                      {"token_logprobs", std::move(logprobs)},
                      {"top_logprobs", std::move(tops)},
                      {"text_offset", std::move(offsets)}};
}

json::object Base(const ResponseHeader& header, bool chunk) {
  return json::object{
      {"id", header.id},
      {"object", header.chat ? (chunk ? "chat.completion.chunk" : "chat.completion")
                             : "text_completion"},
      {"created", header.created},
      {"model", header.model},
      {"system_fingerprint", "inferd"}};
}

json::object Usage(const TokenUsage& usage) {
  return json::object{{"prompt_tokens", usage.prompt},
                      {"completion_tokens", usage.completion},
                      {"total_tokens", usage.prompt + usage.completion},
                      {"prompt_tokens_details", json::object{{"cached_tokens", usage.cached}}}};
}

std::string Chunk(const ResponseHeader& header, json::object choice, bool with_usage_field) {
  json::object chunk = Base(header, true);
  chunk["choices"] = json::array{std::move(choice)};
  if (with_usage_field) chunk["usage"] = nullptr;
  return StrCat("data: ", json::serialize(chunk), "\n\n");
}

}  // namespace

std::string NewId(bool chat) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  return absl::StrFormat("%s-%016x%08x", chat ? "chatcmpl" : "cmpl", rng(), rng() & 0xffffffffu);
}

std::string FinishReason(const std::string& ours) {
  return ours == "stop" ? "stop" : "length";
}

std::string CompletionBody(const ResponseHeader& header, const std::vector<GenerateResult>& choices,
                           int n, bool logprobs) {
  json::object body = Base(header, false);
  json::array list;
  TokenUsage usage;
  for (size_t i = 0; i < choices.size(); ++i) {
    const GenerateResult& r = choices[i];
    usage.Add(r, i, n);
    json::object choice{{"index", i}, {"finish_reason", FinishReason(r.finish_reason)}};
    if (header.chat) {
      choice["message"] = json::object{{"role", "assistant"}, {"content", r.text},
                                       {"refusal", nullptr}};
      choice["logprobs"] = logprobs ? ChatLogprobs(r.logprobs) : json::value(nullptr);
    } else {
      choice["text"] = r.text;
      choice["logprobs"] = logprobs ? CompletionLogprobs(r.logprobs, 0) : json::value(nullptr);
    }
    list.push_back(std::move(choice));
  }
  body["choices"] = std::move(list);
  body["usage"] = Usage(usage);
  return json::serialize(body);
}

std::string RoleChunk(const ResponseHeader& header, int index, bool with_usage_field) {
  return Chunk(header,
               json::object{{"index", index},
                            {"delta", json::object{{"role", "assistant"}, {"content", ""}}},
                            {"logprobs", nullptr},
                            {"finish_reason", nullptr}},
               with_usage_field);
}

std::string DeltaChunk(const ResponseHeader& header, int index, const GenerateDelta& delta,
                       bool logprobs, bool with_usage_field) {
  json::object choice{{"index", index}, {"finish_reason", nullptr}};
  if (header.chat) {
    choice["delta"] = json::object{{"content", delta.text}};
    choice["logprobs"] = logprobs ? ChatLogprobs(delta.logprobs) : json::value(nullptr);
  } else {
    choice["text"] = delta.text;
    // Offsets within the chunk: the stream does not carry the running total.
    choice["logprobs"] = logprobs ? CompletionLogprobs(delta.logprobs, 0) : json::value(nullptr);
  }
  return Chunk(header, std::move(choice), with_usage_field);
}

std::string FinishChunk(const ResponseHeader& header, int index, const std::string& finish_reason,
                        bool with_usage_field) {
  json::object choice{{"index", index},
                      {"logprobs", nullptr},
                      {"finish_reason", FinishReason(finish_reason)}};
  if (header.chat) {
    choice["delta"] = json::object{};
  } else {
    choice["text"] = "";
  }
  return Chunk(header, std::move(choice), with_usage_field);
}

void TokenUsage::Add(const GenerateResult& result, size_t index, int n) {
  if (index % n == 0) {
    prompt += result.prompt_tokens;
    cached += result.cached_prompt_tokens;
  }
  completion += result.generated_tokens;
}

std::string UsageChunk(const ResponseHeader& header, const TokenUsage& usage) {
  json::object chunk = Base(header, true);
  chunk["choices"] = json::array{};
  chunk["usage"] = Usage(usage);
  return StrCat("data: ", json::serialize(chunk), "\n\n");
}

std::string ErrorChunk(const absl::Status& status) {
  return StrCat("data: ", json::serialize(json::object{{"error", ErrorObject(status)}}), "\n\n");
}

json::object ErrorObject(const absl::Status& status) {
  const int http = HttpStatusFor(status);
  std::string code = GenerateErrorCode(status);
  std::string type = "invalid_request_error";
  if (status.code() == absl::StatusCode::kNotFound) {
    code = "model_not_found";
  } else if (http == 503 || http == 504) {
    type = "server_error";
    if (code.empty()) code = http == 503 ? "overloaded" : "timeout";
  } else if (http >= 500) {
    type = "server_error";
  }
  const std::string param = ErrorParam(std::string(status.message()));
  return json::object{{"message", std::string(status.message())},
                      {"type", type},
                      {"param", param.empty() ? json::value(nullptr) : json::value(param)},
                      {"code", code.empty() ? json::value(nullptr) : json::value(code)}};
}

HttpResponse ErrorResponse(const absl::Status& status) {
  const int http = HttpStatusFor(status);
  HttpResponse response =
      JsonBody(http, json::serialize(json::object{{"error", ErrorObject(status)}}));
  if (http == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace inferd::openai
