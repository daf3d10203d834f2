#pragma once

// The settings of a GGUF language model, read from the `parameters` of its
// config.pbtxt:
//
//   context_length   longest sequence (prompt + generated) in tokens; 0: the
//                    model's, at most llm::Engine::kDefaultMaxContext
//   max_sequences    sequences advanced together per step (1..1024)
//   kv_cache_bytes   memory for the KV cache; 0: two full contexts
//   kv_cache_type    element type of the KV cache: f16 (default), f32 or
//                    q8_0; kv_cache_bytes holds more tokens of a smaller type
//   max_waiting      sequences that may wait for admission (default 256);
//                    more are refused with 503 and Retry-After
//   threads          compute threads; 0: every hardware thread
//   prefix_cache     "true" (default) or "false": reuse the KV cache of
//                    earlier prompts that share a prefix with a new one
//   temperature, top_p, top_k, min_p, repeat_penalty, max_tokens
//                    sampling defaults for requests that set none
//   chat_template    a file beside config.pbtxt whose Jinja2 template
//                    replaces the GGUF's tokenizer.chat_template
//   priority_levels  request priority levels (0..1000; 0: one level); a
//                    request's "priority" is 1 (most urgent)..levels, or 0
//                    for default_priority_level
//   default_priority_level  the level of requests that give none
//   timeout_seconds  default time limit of a request, waiting and running
//                    (0: none); a request's "timeout" overrides it
//
// Stateless; thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "backend/llm/engine.h"
#include "backend/llm/sampler.h"
#include "config/model_config.pb.h"

namespace inferd {

struct GgufSettings {
  llm::Engine::Options engine;
  // Bytes for the KV cache; 0: the engine's default (two full contexts).
  // Turned into engine.kv_cache_tokens once the model's shape is known.
  int64_t kv_cache_bytes = 0;
  int64_t max_waiting = 256;
  llm::SamplingParams sampling;  // request defaults
  int32_t max_tokens = 128;      // request default
  std::string chat_template_file;  // "" : the GGUF's template
  uint32_t priority_levels = 0;         // 0: one level
  uint32_t default_priority_level = 0;  // 0: the first (only) level
  double timeout_seconds = 0;           // 0: no limit
};

// Reads and validates the parameters; InvalidArgument names the parameter
// ("parameter \"threads\": ..."). Unknown parameters are left to others.
absl::StatusOr<GgufSettings> GgufSettingsFromConfig(const config::ModelConfig& config);

}  // namespace inferd
