#pragma once

// Ollama's API, so that Ollama's clients (its JavaScript and Python
// libraries, Open WebUI, editor plugins) work with inferd unmodified:
//
//   POST /api/generate    a prompt -> text (NDJSON stream by default)
//   POST /api/chat        messages -> the assistant's message (NDJSON stream by default)
//   POST /api/embed       input(s) -> embeddings (feature-extraction models)
//   POST /api/embeddings  the legacy form: one prompt -> one embedding
//   GET  /api/tags        the models: every ready one, and in explicit control
//                         mode those not loaded (loaded on first use)
//   POST /api/show        a model's details, template, parameters, GGUF metadata
//   GET  /api/ps          the loaded models and when they will be unloaded
//   GET  /api/version     {"version"}
//   POST /api/pull        success for a model the repository has; 404 otherwise
//
// Requests are decoded by api/ollama_request.h, run through the inference
// service like every route, and encoded by api/ollama_response.h. Models
// are named "name" or "name:latest". A request without a prompt (or
// messages) loads the model, or with "keep_alive": 0 unloads it (409 in
// control mode none, where the repository owns every model's lifetime).
// In explicit control mode a request for a model that is not loaded loads
// it (on the control pool) and `keep_alive` times it (api/keep_alive.h);
// in mode none keep_alive changes nothing. Errors are {"error": "..."}; a
// client that goes away cancels its sequence at the next step. Thread-safe.

#include <functional>
#include <memory>
#include <string>

#include "api/api_context.h"
#include "api/embeddings_api.h"
#include "api/keep_alive.h"
#include "api/ollama_request.h"
#include "http/route_table.h"

namespace inferd {

class OllamaApi {
 public:
  struct Options {
    // Times and unloads models per keep_alive; null in control mode none
    // (then no model is loaded on demand either). Not owned.
    KeepAlive* keep_alive = nullptr;
    // The most inputs of one /api/embed request, as /v1/embeddings.
    size_t max_embed_inputs = kMaxEmbeddingInputs;
  };
  OllamaApi(const ApiContext* context, Options options)
      : context_(context), options_(options) {}

  void Generate(HttpRequest&& request, Responder respond) const;
  void Chat(HttpRequest&& request, Responder respond) const;
  void Embed(HttpRequest&& request, Responder respond) const;
  void Embeddings(HttpRequest&& request, Responder respond) const;
  HttpResponse Tags() const;
  void Show(HttpRequest&& request, Responder respond) const;
  HttpResponse Ps() const;
  HttpResponse Version() const;
  void Pull(HttpRequest&& request, Responder respond) const;

 private:
  using ModelDone = std::function<void(absl::StatusOr<ModelHandle> model)>;
  // Calls `done` with the ready model `name`, loading it first when it is
  // not loaded and models load on demand; on this thread when it is ready,
  // else on the control pool.
  void WithModel(const std::string& name, ModelDone done) const;
  // `charge` takes the generated tokens (the caller's rate limit); may be empty.
  void Run(OllamaRequest request, std::shared_ptr<CancelSignal> cancel, Responder respond,
           std::function<void(int64_t)> charge = nullptr) const;
  // Unloads the model of a request without a prompt and keep_alive 0.
  void Unload(const OllamaRequest& request, Responder respond) const;
  void RunEmbed(OllamaEmbedRequest request, bool legacy, std::shared_ptr<CancelSignal> cancel,
                Responder respond) const;

  const ApiContext* context_;
  const Options options_;
};

}  // namespace inferd
