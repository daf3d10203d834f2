#include "server/routes.h"

#include <string>
#include <string_view>
#include <utility>

namespace inferd {
namespace {

// A RouteTable::Handler that calls `method` on `api`, one adapter for each
// shape an API handler has.
template <typename Api>
RouteTable::Handler Bind(const Api* api, HttpResponse (Api::*method)() const) {
  return [api, method](HttpRequest&&, Responder respond) { respond((api->*method)()); };
}

template <typename Api>
RouteTable::Handler Bind(const Api* api,
                         void (Api::*method)(const HttpRequest&, Responder) const) {
  return [api, method](HttpRequest&& request, Responder respond) {
    (api->*method)(request, std::move(respond));
  };
}

template <typename Api>
RouteTable::Handler Bind(const Api* api, void (Api::*method)(HttpRequest&&, Responder) const) {
  return [api, method](HttpRequest&& request, Responder respond) {
    (api->*method)(std::move(request), std::move(respond));
  };
}

}  // namespace

void AddServerRoutes(RouteTable& routes, const ServerApis& apis, const RouteGuard* guard) {
  const auto add = [&routes, guard](const char* method, std::string_view pattern,
                                    const auto* api, auto handler) {
    if (api == nullptr) return;
    RouteTable::Handler bound = Bind(api, handler);
    if (guard != nullptr) bound = guard->Wrap(method, std::string(pattern), std::move(bound));
    routes.Add(method, pattern, std::move(bound));
  };
  // KServe v2 server.
  add("GET", "/v2/health/live", apis.health, &HealthApi::Live);
  add("GET", "/v2/health/ready", apis.health, &HealthApi::Ready);
  add("GET", "/v2", apis.health, &HealthApi::ServerMetadata);
  // KServe v2 models, each with and without a version.
  add("GET", "/v2/models/{model}", apis.models, &V2ModelApi::Metadata);
  add("GET", "/v2/models/{model}/versions/{version}", apis.models, &V2ModelApi::Metadata);
  add("GET", "/v2/models/{model}/ready", apis.models, &V2ModelApi::Ready);
  add("GET", "/v2/models/{model}/versions/{version}/ready", apis.models, &V2ModelApi::Ready);
  add("GET", "/v2/models/{model}/config", apis.models, &V2ModelApi::Config);
  add("GET", "/v2/models/{model}/versions/{version}/config", apis.models, &V2ModelApi::Config);
  add("POST", "/v2/models/{model}/infer", apis.models, &V2ModelApi::Infer);
  add("POST", "/v2/models/{model}/versions/{version}/infer", apis.models, &V2ModelApi::Infer);
  // Triton generate extension (GGUF language models).
  add("POST", "/v2/models/{model}/generate", apis.generate, &GenerateApi::Generate);
  add("POST", "/v2/models/{model}/versions/{version}/generate", apis.generate,
      &GenerateApi::Generate);
  add("POST", "/v2/models/{model}/generate_stream", apis.generate, &GenerateApi::GenerateStream);
  add("POST", "/v2/models/{model}/versions/{version}/generate_stream", apis.generate,
      &GenerateApi::GenerateStream);
  // OpenAI: models, chat and completions (GGUF language models), embeddings.
  add("GET", "/v1/models", apis.openai, &OpenAiApi::Models);
  add("GET", "/v1/models/{model}", apis.openai, &OpenAiApi::Model);
  add("POST", "/v1/chat/completions", apis.openai, &OpenAiApi::ChatCompletions);
  add("POST", "/v1/completions", apis.openai, &OpenAiApi::Completions);
  add("POST", "/v1/embeddings", apis.embeddings, &EmbeddingsApi::Embeddings);
  // Ollama: generate and chat (GGUF language models), embeddings, the model routes.
  add("POST", "/api/generate", apis.ollama, &OllamaApi::Generate);
  add("POST", "/api/chat", apis.ollama, &OllamaApi::Chat);
  add("POST", "/api/embed", apis.ollama, &OllamaApi::Embed);
  add("POST", "/api/embeddings", apis.ollama, &OllamaApi::Embeddings);
  add("GET", "/api/tags", apis.ollama, &OllamaApi::Tags);
  add("POST", "/api/show", apis.ollama, &OllamaApi::Show);
  add("GET", "/api/ps", apis.ollama, &OllamaApi::Ps);
  add("GET", "/api/version", apis.ollama, &OllamaApi::Version);
  add("POST", "/api/pull", apis.ollama, &OllamaApi::Pull);
  // KServe v1 / TF Serving predict.
  add("POST", "/v1/models/{model}:predict", apis.predict, &PredictApi::Predict);
  add("POST", "/v1/models/{model}/versions/{version}:predict", apis.predict,
      &PredictApi::Predict);
  // Async jobs (`Prefer: respond-async` is the inference handlers' own).
  add("POST", "/v1/jobs", apis.jobs, &JobsApi::Create);
  add("GET", "/v1/jobs/{id}", apis.jobs, &JobsApi::Get);
  add("GET", "/v1/jobs/{id}/result", apis.jobs, &JobsApi::Result);
  add("GET", "/v1/jobs/{id}/events", apis.jobs, &JobsApi::Events);
  add("DELETE", "/v1/jobs/{id}", apis.jobs, &JobsApi::Cancel);
  add("GET", "/v1/jobs", apis.jobs, &JobsApi::List);
  // Triton model repository extension.
  add("POST", "/v2/repository/index", apis.repository, &RepositoryApi::Index);
  add("POST", "/v2/repository/models/{model}/load", apis.repository, &RepositoryApi::Load);
  add("POST", "/v2/repository/models/{model}/unload", apis.repository, &RepositoryApi::Unload);
  // Summary, metrics and Triton statistics.
  add("GET", "/health", apis.health, &HealthApi::Summary);
  add("GET", "/metrics", apis.metrics, &MetricsApi::Prometheus);
  add("GET", "/v2/models/stats", apis.metrics, &MetricsApi::Stats);
  add("GET", "/v2/models/{model}/stats", apis.metrics, &MetricsApi::Stats);
  add("GET", "/v2/models/{model}/versions/{version}/stats", apis.metrics, &MetricsApi::Stats);
  // Triton shared memory extension (system; CUDA answers that there is no GPU).
  add("GET", "/v2/systemsharedmemory/status", apis.shared_memory,
      &SharedMemoryApi::SystemStatus);
  add("GET", "/v2/systemsharedmemory/region/{region}/status", apis.shared_memory,
      &SharedMemoryApi::SystemStatus);
  add("POST", "/v2/systemsharedmemory/region/{region}/register", apis.shared_memory,
      &SharedMemoryApi::SystemRegister);
  add("POST", "/v2/systemsharedmemory/unregister", apis.shared_memory,
      &SharedMemoryApi::SystemUnregister);
  add("POST", "/v2/systemsharedmemory/region/{region}/unregister", apis.shared_memory,
      &SharedMemoryApi::SystemUnregister);
  add("GET", "/v2/cudasharedmemory/status", apis.shared_memory, &SharedMemoryApi::CudaStatus);
  add("GET", "/v2/cudasharedmemory/region/{region}/status", apis.shared_memory,
      &SharedMemoryApi::CudaStatus);
  add("POST", "/v2/cudasharedmemory/region/{region}/register", apis.shared_memory,
      &SharedMemoryApi::CudaRegister);
  add("POST", "/v2/cudasharedmemory/unregister", apis.shared_memory,
      &SharedMemoryApi::CudaUnregister);
  add("POST", "/v2/cudasharedmemory/region/{region}/unregister", apis.shared_memory,
      &SharedMemoryApi::CudaUnregister);
  // Triton logging and trace extensions.
  add("GET", "/v2/logging", apis.settings, &ServerSettingsApi::GetLogging);
  add("POST", "/v2/logging", apis.settings, &ServerSettingsApi::SetLogging);
  add("GET", "/v2/trace/setting", apis.settings, &ServerSettingsApi::GetTrace);
  add("POST", "/v2/trace/setting", apis.settings, &ServerSettingsApi::SetTrace);
}

}  // namespace inferd
