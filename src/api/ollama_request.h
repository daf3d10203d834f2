#pragma once

// Decoding of Ollama's API requests:
//
//   POST /api/generate    {"model", "prompt", "system", "raw", "options", "stream", "keep_alive", ...}
//   POST /api/chat        {"model", "messages", "tools", "options", "stream", "keep_alive", ...}
//   POST /api/embed       {"model", "input": string | [string], "truncate", "dimensions", "keep_alive"}
//   POST /api/embeddings  {"model", "prompt"} (the legacy route)
//   POST /api/show, /api/pull   {"model"} (or the older "name")
//
// `options` map to the one sampler: num_predict (-1 or -2: until the context
// is full), temperature, top_k, top_p, min_p, seed (negative: random), stop,
// num_ctx (checked against the model once it is known), repeat_penalty,
// presence_penalty, frequency_penalty; other options are ignored, as Ollama
// ignores the runner settings it does not use. What inferd cannot do is
// refused, never ignored: a suffix, images, a `format` other than "",
// a Go `template`, a `context` from an earlier answer, `think`. Unknown
// top-level fields are ignored (Ollama's clients add fields first).
// Every error is InvalidArgument "<field>: <rule>" (NotFound for a model
// name with a tag other than latest).
//
// Stateless; thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json/value.hpp"
#include "serving/generate_call.h"

namespace inferd {

// A decoded /api/generate or /api/chat request.
struct OllamaRequest {
  bool chat = false;
  std::string model;  // as sent, echoed in the answers
  std::string name;   // the repository's model name (":latest" dropped)
  // Sampling fields and, for chat, the messages; the prompt of a generate
  // request is set by OllamaGenerateInput once the model is known.
  GenerateInput input;
  std::string prompt;  // generate
  std::string system;  // generate: a system message before the prompt
  bool raw = false;    // generate: the prompt as is, no chat template
  // No prompt (generate) or no messages (chat): the request only loads
  // the model, or unloads it with keep_alive 0.
  bool has_prompt = false;
  bool stream = true;
  bool until_context = false;  // num_predict -1 or -2
  std::optional<int64_t> num_ctx;
  // Unset when the request gave none; InfiniteDuration for "forever".
  std::optional<absl::Duration> keep_alive;
  // chat: the functions of `tools`; an answer that calls them comes back as
  // message.tool_calls.
  std::vector<std::string> tool_names;
};

absl::StatusOr<OllamaRequest> DecodeOllamaGenerate(std::string_view body);
absl::StatusOr<OllamaRequest> DecodeOllamaChat(std::string_view body);

// The GenerateInput of `request` for `model`: num_ctx checked against the
// model's context, num_predict -1 as the whole context, and a generate
// prompt rendered with the model's chat template as a user message (after
// the system message), unless raw or the model has none: then the prompt
// as is (after the system text and a blank line, when not raw).
absl::StatusOr<GenerateInput> OllamaGenerateInput(const ModelVersion& model,
                                                  OllamaRequest request);

// A decoded /api/embed or /api/embeddings request. `inputs` point into
// `body`; empty asks only for the model (Ollama answers no embeddings).
struct OllamaEmbedRequest {
  std::shared_ptr<const boost::json::value> body;
  std::string model;
  std::string name;
  std::vector<const boost::json::value*> inputs;  // strings
  std::optional<int64_t> dimensions;
  std::optional<absl::Duration> keep_alive;
};

// `max_inputs`: the most strings "input" may list (InvalidArgument naming
// "input" beyond). An empty string is refused: "input" (or "input[i]")
// must not be an empty string.
absl::StatusOr<OllamaEmbedRequest> DecodeOllamaEmbed(std::string_view body, size_t max_inputs);
// The legacy form: one "prompt" ("" asks only for the model), so no count
// limit applies.
absl::StatusOr<OllamaEmbedRequest> DecodeOllamaEmbeddings(std::string_view body);

// A request that names a model and nothing else of use: /api/show,
// /api/pull ({"model"} or the older {"name"}), with `stream` for pull.
struct OllamaModelRequest {
  std::string model;
  std::string name;
  bool stream = true;
};
absl::StatusOr<OllamaModelRequest> DecodeOllamaModelRequest(std::string_view body);

// The repository name of an Ollama model name: "m" and "m:latest" are
// "m"; any other tag, or a namespace ("library/m"), is a model inferd does
// not have (NotFound). InvalidArgument when empty.
absl::StatusOr<std::string> OllamaModelName(std::string_view model);

// Ollama's keep_alive: a duration string ("5m", "1h30m", "30s", "0"), a
// number of seconds, or a negative value for "forever" (InfiniteDuration).
absl::StatusOr<absl::Duration> ParseKeepAlive(const boost::json::value& value);

// An error of InferenceService::PrepareGenerate with the field named as
// the request named it ("max_tokens = 0: ..." -> "options.num_predict = 0:
// ...", "temperature ..." -> "options.temperature ..."; for /api/generate,
// whose prompt became a message, "messages: ..." -> "prompt: ..."); other
// statuses as they are.
absl::Status OllamaFieldError(const absl::Status& status, bool chat);

}  // namespace inferd
