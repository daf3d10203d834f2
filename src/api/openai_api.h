#pragma once

// OpenAI's API for language models (GGUF) and the model list:
//
//   GET  /v1/models                every ready model: LLMs, embedding and task models
//   GET  /v1/models/{model}
//   POST /v1/chat/completions      messages -> chat.completion (or its chunks)
//   POST /v1/completions           prompt   -> text_completion (or its chunks)
//
// Requests are decoded by api/openai_request.h, validated and run through
// the inference service (every choice prepared before any starts, so a bad
// request starts nothing), and encoded by api/openai_response.h. With
// "stream": true the answer is Server-Sent Events as OpenAI sends them: per
// choice a first chunk with the role (chat), content chunks, a chunk with
// the finish_reason; a usage chunk when stream_options.include_usage; then
// `data: [DONE]`. A failure after the stream started is sent as an error
// chunk. A client that goes away cancels every choice at the next step.
// Errors are OpenAI's error object. With `Prefer: respond-async` (and no
// stream) the request becomes a job whose result is the non-streamed
// response, run by the same functions below. Thread-safe.

#include <functional>
#include <vector>

#include "api/api_context.h"
#include "api/openai_request.h"
#include "http/route_table.h"

namespace inferd {

// A decoded OpenAI request with every choice prepared on its model.
struct OpenAiCall {
  OpenAiRequest request;  // its choices are moved into `calls`
  std::vector<GenerateCall> calls;
  // Charged with every choice's generated tokens (the caller's rate limit);
  // may be empty.
  std::function<void(int64_t tokens)> charge_tokens;
};

// Resolves the model and prepares every choice; the first refusal wins.
absl::StatusOr<OpenAiCall> PrepareOpenAiCall(const InferenceService& service,
                                             OpenAiRequest request);
// Runs every choice to its end and gives the non-streamed response body (or
// the first failure, after cancelling the other choices), on a generation
// thread: hand encoding-heavy work elsewhere.
using OpenAiDone = std::function<void(absl::StatusOr<std::string> body)>;
void RunOpenAiCall(const InferenceService& service, OpenAiCall call,
                   const std::shared_ptr<CancelSignal>& cancel, OpenAiDone done);

class OpenAiApi {
 public:
  explicit OpenAiApi(const ApiContext* context) : context_(context) {}

  HttpResponse Models() const;
  void Model(const HttpRequest& request, Responder respond) const;
  void ChatCompletions(HttpRequest&& request, Responder respond) const;
  void Completions(HttpRequest&& request, Responder respond) const;

 private:
  void Run(OpenAiRequest request, HttpRequest& http, Responder respond) const;
  void Stream(OpenAiCall call, const std::shared_ptr<CancelSignal>& cancel,
              Responder respond) const;

  const ApiContext* context_;
};

}  // namespace inferd
