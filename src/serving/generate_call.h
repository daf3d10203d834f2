#pragma once

// The typed request and result of text generation with a GGUF language
// model (InferenceService::PrepareGenerate / Generate). Value types.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/llm/engine.h"
#include "repository/model_version.h"

namespace inferd {

// What a client asks for; unset fields take the model's defaults (its
// config parameters). Field names are the API's, so errors can name them.
struct GenerateInput {
  std::string text_input;                 // the prompt, UTF-8
  std::optional<int64_t> max_tokens;      // 1..context length
  std::optional<double> temperature;      // 0 (greedy)..100
  std::optional<double> top_p;            // (0, 1]
  std::optional<int64_t> top_k;           // >= 0; 0: whole vocabulary
  std::optional<uint64_t> seed;           // random when unset
  std::vector<std::string> stop;          // up to 16 stop strings
  bool ignore_eos = false;
};

// A request bound to the model version that will run it, validated and
// tokenized.
struct GenerateCall {
  ModelHandle model;
  llm::GenerationRequest request;
};

struct GenerateResult {
  std::string text;
  std::string finish_reason;  // "stop", "length", "context"
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double prompt_seconds = 0;      // first step to first token
  double generation_seconds = 0;  // first token to last
};

// Receives each piece of text as it is released (whole UTF-8 characters,
// never part of a stop string), on the model's generation thread.
using TextDeltaCallback = std::function<void(std::string_view delta)>;

}  // namespace inferd
