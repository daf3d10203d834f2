#pragma once

// The `inferd generate` subcommand: loads a GGUF model and streams generated
// text for one prompt to stdout, then prints prompt and generation speed to
// stderr.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "backend/llm/sampler.h"

namespace inferd {

struct GenerateOptions {
  std::string model_path;
  std::string prompt;
  int32_t max_tokens = 128;
  int threads = 0;      // 0: hardware threads
  int64_t context = 0;  // 0: the model's, at most 4096
  std::string kv_type = "f16";  // KV cache element type: f16, f32, q8_0
  llm::SamplingParams sampling;
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool parse_special = false;  // special-token text in the prompt is a token
  bool echo_prompt = true;     // print the prompt before the generated text
};

// Runs one generation: text to `out` as it is produced, the speed summary to
// `err`. Errors (bad file, bad flags) come back as a Status.
absl::Status RunGenerate(const GenerateOptions& options, std::FILE* out,
                         std::FILE* err);

// Adds `generate` with its flags and callback to `app`. On error the callback
// prints the message to stderr and makes the process exit with status 1.
void RegisterGenerateCommand(CLI::App& app);

}  // namespace inferd
