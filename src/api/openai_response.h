#pragma once

// Encoding of OpenAI's text generation responses: chat.completion and
// text_completion objects, their stream chunks, usage, logprobs in both of
// OpenAI's shapes (chat's `content` list, completions' legacy arrays), and
// OpenAI's error object:
//
//   {"error": {"message", "type", "param", "code"}}
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "boost/json/object.hpp"
#include "http/http_message.h"
#include "serving/generate_call.h"

namespace inferd::openai {

// What every object of one response shares.
struct ResponseHeader {
  bool chat = false;
  std::string id;  // "chatcmpl-..." or "cmpl-..."
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// A new response id with the API's prefix.
std::string NewId(bool chat);

// OpenAI's finish_reason for ours ("context" is "length" there).
std::string FinishReason(const std::string& ours);

// The non-streamed response for all choices (in index order); `n` is the
// choices per prompt (usage counts each prompt once).
std::string CompletionBody(const ResponseHeader& header, const std::vector<GenerateResult>& choices,
                           int n, bool logprobs);

// One `data: {...}\n\n` chunk: the role (chat's first chunk of a choice), a
// piece of text with its logprobs, or the finish reason. `with_usage_field`
// adds "usage": null as OpenAI does when include_usage is on.
std::string RoleChunk(const ResponseHeader& header, int index, bool with_usage_field);
std::string DeltaChunk(const ResponseHeader& header, int index, const GenerateDelta& delta,
                       bool logprobs, bool with_usage_field);
std::string FinishChunk(const ResponseHeader& header, int index, const std::string& finish_reason,
                        bool with_usage_field);
// Tokens of a response over its choices: each prompt counted once (the n
// choices of a prompt share it), every choice's output.
struct TokenUsage {
  int64_t prompt = 0;
  int64_t cached = 0;  // prompt tokens reused from the prefix cache
  int64_t completion = 0;
  // Adds choice `index` of a request with `n` choices per prompt.
  void Add(const GenerateResult& result, size_t index, int n);
};
// The last chunk when include_usage is on: no choices, the usage.
std::string UsageChunk(const ResponseHeader& header, const TokenUsage& usage);
// A failure after the stream started.
std::string ErrorChunk(const absl::Status& status);
inline constexpr std::string_view kDoneChunk = "data: [DONE]\n\n";

// The error object for `status`: type and code from the status (404
// model_not_found for a missing model, context_length_exceeded,
// invalid_request_error naming the param, ...).
boost::json::object ErrorObject(const absl::Status& status);
HttpResponse ErrorResponse(const absl::Status& status);

}  // namespace inferd::openai
