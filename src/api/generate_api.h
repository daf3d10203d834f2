#pragma once

// Triton's generate extension for GGUF language models:
//
//   POST /v2/models/{model}[/versions/{version}]/generate
//   POST /v2/models/{model}[/versions/{version}]/generate_stream
//
// Body: {"text_input": "...", "parameters": {"max_tokens": n,
// "temperature": t, "top_p": p, "top_k": k, "min_p": m, "repeat_penalty": r,
// "seed": s, "stop": [...],
// "ignore_eos": b, "json_schema": {...} | "grammar": "..."}}; parameters are optional and default to the model's
// config. /generate answers {"model_name", "model_version", "text_output",
// "finish_reason", "prompt_tokens", "generated_tokens"}; /generate_stream
// answers Server-Sent Events, one `data: {"model_name", "model_version",
// "text_output": delta}` per piece of text and a last one with an empty
// text_output and the finish reason (or {"error": ...}). Bad input is a 400
// naming the field. A client that goes away cancels its sequence.
// /generate with `Prefer: respond-async` becomes a job whose result is the
// /generate answer.
// Thread-safe.

#include <string_view>

#include "absl/status/statusor.h"
#include "api/api_context.h"
#include "http/route_table.h"
#include "serving/generate_call.h"

namespace inferd {

// Decodes a generate body; InvalidArgument names the bad field.
absl::StatusOr<GenerateInput> DecodeGenerateInput(std::string_view body);
// Resolves the model and version, decodes `body` and prepares it: what the
// route and a generate job both run.
absl::StatusOr<GenerateCall> DecodeGenerateCall(const InferenceService& service,
                                                const std::string& model,
                                                const std::string& version, std::string_view body);
// The JSON answer of /generate for `result` of `model`.
std::string GenerateResponseBody(const ModelVersion& model, const GenerateResult& result);

class GenerateApi {
 public:
  explicit GenerateApi(const ApiContext* context) : context_(context) {}

  void Generate(HttpRequest&& request, Responder respond) const;
  void GenerateStream(HttpRequest&& request, Responder respond) const;

 private:
  const ApiContext* context_;
};

}  // namespace inferd
