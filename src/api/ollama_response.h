#pragma once

// Encoding of Ollama's generation and embedding answers. Streamed answers
// are NDJSON (`application/x-ndjson`): one JSON object per line,
//
//   {"model", "created_at", "response": "<text>", "done": false}              /api/generate
//   {"model", "created_at", "message": {"role": "assistant", "content"}, "done": false}   /api/chat
//
// and a last object with "done": true, "done_reason" ("stop" | "length"),
// and total_duration, load_duration, prompt_eval_count,
// prompt_eval_duration, eval_count, eval_duration (durations in
// nanoseconds). Unstreamed, that last object is the whole answer and holds
// the whole text. Errors are {"error": "..."}: a 4xx/5xx body before the
// stream started, an NDJSON line after.
//
// Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "api/tool_calls.h"
#include "serving/generate_call.h"

namespace inferd::ollama {

// What every object of one answer shares.
struct AnswerHeader {
  bool chat = false;
  std::string model;  // the name the request used
};

// Where the time of a request went, measured by the handler.
struct RequestTimes {
  absl::Duration total;  // from the request to its last object
  absl::Duration load;   // finding (or loading) the model
};

// Ollama's done_reason for ours: "stop", or "length" (max tokens or the
// context full).
std::string_view DoneReason(std::string_view finish_reason);

// One NDJSON line of text as it is generated.
std::string DeltaLine(const AnswerHeader& header, std::string_view text);
// The last object: `result.text` when not streamed, "" when it was. With
// `calls` (not streamed), the message holds them as tool_calls, content "".
std::string FinalObject(const AnswerHeader& header, const GenerateResult& result, bool streamed,
                        const RequestTimes& times, const std::vector<ToolCall>* calls = nullptr);
// A chat line with the answer's tool calls, {"function": {"name",
// "arguments": {...}}} each, as Ollama streams them.
std::string ToolCallsLine(const AnswerHeader& header, const std::vector<ToolCall>& calls);
// The answer to a request without a prompt: done_reason "load" or "unload".
std::string DoneObject(const AnswerHeader& header, std::string_view done_reason);
// A failure after the stream started, as its last line.
std::string ErrorLine(const absl::Status& status);

// /api/embed: {"model", "embeddings": [[...]], "total_duration",
// "load_duration", "prompt_eval_count"}.
std::string EmbedObject(const std::string& model, const std::vector<std::vector<float>>& vectors,
                        int64_t tokens, const RequestTimes& times);
// /api/embeddings (legacy): {"embedding": [...]}, [] without a prompt.
std::string EmbeddingObject(const std::vector<float>& vector);

}  // namespace inferd::ollama
