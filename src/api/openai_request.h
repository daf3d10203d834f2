#pragma once

// Decoding of OpenAI's text generation requests into the inference
// service's GenerateInput:
//
//   POST /v1/chat/completions  {"model", "messages", ...}
//   POST /v1/completions       {"model", "prompt", ...}
//
// Fields: max_tokens / max_completion_tokens, temperature, top_p, min_p,
// seed, stop (string or list), n, presence_penalty, frequency_penalty,
// logit_bias, logprobs (+ top_logprobs for chat), stream,
// stream_options.include_usage, user (ignored), tools (passed to the chat
// template), response_format (text, json_object, json_schema: a compiled
// grammar, api/structured_output.h), and the extensions llama.cpp's server
// also takes: top_k, repeat_penalty, ignore_eos, chat_template_kwargs,
// grammar. A completion's prompt is
// a string, a list of strings, a list of token ids or a list of such lists.
// Unknown fields are ignored, as OpenAI's own clients send new ones first.
// Every error is InvalidArgument "<param>: <rule>".
//
// Stateless; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/tool_calls.h"
#include "serving/generate_call.h"

namespace inferd {

struct OpenAiRequest {
  bool chat = false;
  std::string model;
  // One input per choice: prompts x n, in the order of the choices' index
  // (prompt p, sample i -> index p * n + i); sample i of a seeded request
  // has seed + i, so that n > 1 gives different samples.
  std::vector<GenerateInput> choices;
  int n = 1;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;       // the response carries logprobs
  ToolChoice tools;            // chat: the functions, and whether to parse calls
};

inline constexpr int kMaxChoicesPerRequest = 16;

absl::StatusOr<OpenAiRequest> DecodeChatRequest(std::string_view body);
absl::StatusOr<OpenAiRequest> DecodeCompletionRequest(std::string_view body);

// The parameter an error message names ("max_tokens = 0: ..." ->
// "max_tokens", "messages[2].role: ..." -> "messages[2].role"); "" when it
// names none.
std::string ErrorParam(std::string_view message);

}  // namespace inferd
