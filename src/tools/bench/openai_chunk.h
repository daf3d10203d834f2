#pragma once

// Reads one `data:` payload of an OpenAI-style streamed completion
// (`POST /v1/completions` or `/v1/chat/completions` with "stream": true):
// whether it carries generated text, the token counts of a `usage` object,
// a finish reason, an error, or the closing "[DONE]".
//
// Servers differ in the details and all are accepted: OpenAI and inferd send
// `usage` in a last chunk with no choices when asked through
// stream_options.include_usage (and "usage": null before it); llama-server
// sends it in the chunk that carries finish_reason; a chat stream opens with
// a chunk whose delta holds only the role, which is not generated text.
//
// Pure functions; safe from any thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace inferd::bench {

struct OpenAiChunk {
  bool done = false;  // the "[DONE]" sentinel
  // Choices whose `text` (completions) or `delta.content` (chat) is a
  // non-empty string: with one choice, 1 when the chunk delivers tokens.
  int text_choices = 0;
  int64_t completion_tokens = -1;  // from `usage`; -1 when absent
  int64_t prompt_tokens = -1;      // from `usage`; -1 when absent
  std::string finish_reason;       // the first non-null one; "" when none
  std::string error;               // an error object's message; "" when none
};

// InvalidArgument when `data` is neither "[DONE]" nor a JSON object; the
// message quotes the start of the payload.
absl::StatusOr<OpenAiChunk> ParseOpenAiChunk(std::string_view data);

// The message of an error event's payload (llama-server's "error: {...}"):
// its "message" field when it is a JSON object that has one, else the
// payload itself, cut to a readable length.
std::string StreamErrorMessage(std::string_view data);

}  // namespace inferd::bench
