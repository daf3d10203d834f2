#pragma once

// The typed request and result of text generation with a GGUF language
// model (InferenceService::PrepareGenerate / Generate). Value types.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "backend/llm/engine.h"
#include "boost/json/array.hpp"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "repository/model_version.h"
#include "text/grammar.h"

namespace inferd {

// What a client asks for; unset fields take the model's defaults (its
// config parameters). Field names are the API's, so errors can name them.
// The prompt is exactly one of `text_input`, `prompt_tokens` or `messages`.
struct GenerateInput {
  std::string text_input;                     // the prompt, UTF-8
  std::string prompt_field = "prompt";        // its name in the API, for errors
  std::optional<std::vector<int64_t>> prompt_tokens;  // token ids instead of text
  // A conversation instead of a prompt, rendered with the model's chat
  // template: each message an object with "role" and "content" (a string),
  // optionally "tool_calls", "tool_call_id", "name". The API decoders check
  // roles and shapes; the template may refuse a conversation it cannot take.
  std::optional<boost::json::array> messages;
  boost::json::value tools;            // null, or the tools array for the template
  boost::json::object template_kwargs; // extra template variables (enable_thinking, ...)

  std::optional<int64_t> max_tokens;      // 1..context length
  std::string max_tokens_field = "max_tokens";  // its name in the API, for errors
  std::optional<double> temperature;      // 0 (greedy)..100
  std::optional<double> top_p;            // (0, 1]
  std::optional<int64_t> top_k;           // >= 0; 0: whole vocabulary
  std::optional<double> min_p;            // [0, 1]
  std::optional<double> presence_penalty;   // [-2, 2]
  std::optional<double> frequency_penalty;  // [-2, 2]
  std::optional<double> repeat_penalty;     // > 0
  std::optional<uint64_t> seed;           // random when unset
  std::vector<std::string> stop;          // up to 16 stop strings
  std::vector<std::pair<int64_t, double>> logit_bias;  // token id -> bias in [-100, 100]
  // -1: none; k >= 0: each token's log-probability and the k likeliest.
  int32_t logprobs = -1;
  bool ignore_eos = false;
  // Scheduling: the priority level (1 most urgent .. the model's
  // priority_levels; 0 or unset: its default level) and a time limit for
  // the whole request, waiting included (unset: the model's timeout_seconds).
  std::optional<uint32_t> priority;
  std::optional<absl::Duration> timeout;
  // Structured output: the text must be a sentence of this grammar (from a
  // JSON schema, JSON mode or a raw grammar); null for free text.
  std::shared_ptr<const text::Grammar> grammar;
};

// A request bound to the model version that will run it, validated and
// tokenized.
struct GenerateCall {
  ModelHandle model;
  llm::GenerationRequest request;
};

// One generated token with its log-probability and the likeliest
// alternatives, as bytes (a token may hold part of a UTF-8 character).
struct TokenLogprobs {
  struct Alternative {
    std::string bytes;
    float logprob = 0;
  };
  std::string bytes;
  float logprob = 0;
  std::vector<Alternative> top;
};

struct GenerateResult {
  std::string text;
  std::string finish_reason;  // "stop", "length", "context"
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, from the prefix cache
  int64_t generated_tokens = 0;
  double prompt_seconds = 0;      // first step to first token
  double generation_seconds = 0;  // first token to last
  std::vector<TokenLogprobs> logprobs;  // when asked: one per generated token
};

// A piece of the output as it is released: whole UTF-8 characters, never
// part of a stop string; `logprobs` holds the tokens sampled since the last
// delta (when asked), so a token's entry may come with the text of a later
// one.
struct GenerateDelta {
  std::string_view text;
  std::vector<TokenLogprobs> logprobs;
};
// Called on the model's generation thread; must not block.
using TextDeltaCallback = std::function<void(const GenerateDelta& delta)>;

// Why a generation request was refused, when the status alone does not say
// (OpenAI's error `code`): "context_length_exceeded" for a prompt that does
// not fit the context; "" otherwise.
std::string GenerateErrorCode(const absl::Status& status);

}  // namespace inferd
