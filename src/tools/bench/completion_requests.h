#pragma once

// The requests of a generation benchmark: streamed OpenAI-style completions
// (`POST /v1/completions` with a prompt, or `/v1/chat/completions` with one
// user message) that every server answers the same way: greedy
// (temperature 0), `max_tokens` long, and with "ignore_eos": true so that no
// request stops early (OpenAI has no such field; llama-server, vLLM and
// inferd accept it). Usage is asked for with stream_options.include_usage.
//
// Every request has its own prompt, drawn from a seeded generator by request
// number: the same run against two servers sends the same prompts, and no
// two prompts share a prefix that a server's prompt cache could reuse.
// A text prompt is `prompt_tokens` words (about one token each with a real
// tokenizer; the server's own count comes back in `usage`); with a token-id
// range, a completions prompt is exactly `prompt_tokens` token ids.
//
// Immutable once built; safe to read from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd::bench {

struct CompletionRequestOptions {
  bool chat = false;  // /v1/chat/completions instead of /v1/completions
  std::string model;
  std::string target;  // the path POSTed to
  int prompt_tokens = 128;
  std::vector<std::string> words;  // prompt vocabulary; empty: built in
  // Prompts as token ids in [token_id_low, token_id_high) when high > low
  // (completions only).
  int64_t token_id_low = 0;
  int64_t token_id_high = 0;
  int max_tokens = 128;
  bool ignore_eos = true;
  uint64_t seed = 1;
};

class CompletionRequests {
 public:
  // InvalidArgument naming the flag for a bad length, range or word list.
  static absl::StatusOr<CompletionRequests> Create(
      CompletionRequestOptions options);

  // The JSON body of request number `index` (any value, also negative for
  // a pre-flight request), generating `max_tokens` tokens.
  std::string Body(int64_t index, int max_tokens) const;
  std::string Body(int64_t index) const {
    return Body(index, options_.max_tokens);
  }

  const std::string& target() const { return options_.target; }
  const CompletionRequestOptions& options() const { return options_; }
  // One line for people, e.g. "completions, 128-word prompts, 128 tokens".
  std::string description() const;

 private:
  explicit CompletionRequests(CompletionRequestOptions options)
      : options_(std::move(options)) {}

  CompletionRequestOptions options_;
};

// The whitespace-separated words of a text file, for --prompt-file;
// InvalidArgument when it cannot be read or holds no word.
absl::StatusOr<std::vector<std::string>> ReadPromptWords(
    const std::string& path);

}  // namespace inferd::bench
