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
// Errors are OpenAI's error object. Thread-safe.

#include "api/api_context.h"
#include "http/route_table.h"

namespace inferd {

struct OpenAiRequest;

class OpenAiApi {
 public:
  explicit OpenAiApi(const ApiContext* context) : context_(context) {}

  HttpResponse Models() const;
  void Model(const HttpRequest& request, Responder respond) const;
  void ChatCompletions(HttpRequest&& request, Responder respond) const;
  void Completions(HttpRequest&& request, Responder respond) const;

 private:
  void Run(OpenAiRequest request, const HttpRequest& http, Responder respond) const;

  const ApiContext* context_;
};

}  // namespace inferd
