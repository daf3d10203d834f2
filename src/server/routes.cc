#include "server/routes.h"

#include <string>
#include <string_view>
#include <utility>

#include "server/route_policy.h"

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


// Tags that group the routes in the document and on the /docs page.
constexpr char kV2[] = "KServe v2";
constexpr char kTriton[] = "Triton extensions";
constexpr char kV1[] = "KServe v1";
constexpr char kOpenAi[] = "OpenAI";
constexpr char kOllama[] = "Ollama";
constexpr char kJobs[] = "Jobs";
constexpr char kServer[] = "Server";

OpenApiBody Json(std::string schema) { return {.schema = std::move(schema)}; }

OpenApiBody Body(std::string content_type, std::string schema, std::string item_schema = "") {
  return {.schema = std::move(schema),
          .content_type = std::move(content_type),
          .item_schema = std::move(item_schema)};
}

// JSON, or `type` whose items (events, lines, the binary header) are `item_schema`.
OpenApiBody WithAlternative(std::string schema, std::string type, std::string item_schema) {
  return {.schema = std::move(schema),
          .alternative_type = std::move(type),
          .alternative_item = std::move(item_schema)};
}

}  // namespace

void AddServerRoutes(RouteTable& routes, const ServerApis& apis, const RouteGuard* guard,
                     OpenApiDocument* document) {
  const bool metrics_open = guard != nullptr && guard->metrics_open();
  const auto add = [&](const char* method, std::string_view pattern, const auto* api,
                       auto handler, OpenApiOperation operation) {
    if (api == nullptr) return;
    RouteTable::Handler bound = Bind(api, handler);
    if (guard != nullptr) bound = guard->Wrap(method, std::string(pattern), std::move(bound));
    routes.Add(method, pattern, std::move(bound));
    if (document == nullptr) return;
    const RoutePolicy policy = PolicyFor(method, pattern, metrics_open);
    operation.scope = std::string(RequiredScope(policy.access));
    operation.openai_errors = policy.openai_errors;
    document->Add(method, pattern, operation);
  };
  // KServe v2 server.
  add("GET", "/v2/health/live", apis.health, &HealthApi::Live,
      {.tag = kV2, .summary = "Liveness: the server answers", .response = Json("Live")});
  add("GET", "/v2/health/ready", apis.health, &HealthApi::Ready,
      {.tag = kV2, .summary = "Readiness: every model loaded at start-up is ready",
       .response = Json("Ready")});
  add("GET", "/v2", apis.health, &HealthApi::ServerMetadata,
      {.tag = kV2, .summary = "Server metadata: name, version, extensions",
       .response = Json("ServerMetadata")});
  // KServe v2 models, each with and without a version.
  const OpenApiOperation metadata = {.tag = kV2,
                                     .summary = "Model metadata: versions, inputs and outputs",
                                     .response = Json("ModelMetadata")};
  const OpenApiOperation ready = {.tag = kV2, .summary = "Model readiness",
                                  .response = Json("ModelReady")};
  const OpenApiOperation config = {.tag = kTriton,
                                   .summary = "Model configuration (Triton's ModelConfig as JSON)",
                                   .response = Json("ModelConfig")};
  const OpenApiOperation infer = {
      .tag = kV2,
      .summary = "Run the model on tensors",
      .description = "JSON tensors, or Triton's binary tensor extension "
                     "(`Inference-Header-Content-Length`).",
      .request = WithAlternative("InferRequest", "application/octet-stream", "InferRequest"),
      .response = WithAlternative("InferResponse", "application/octet-stream", "InferResponse"),
      .respond_async = true};
  add("GET", "/v2/models/{model}", apis.models, &V2ModelApi::Metadata, metadata);
  add("GET", "/v2/models/{model}/versions/{version}", apis.models, &V2ModelApi::Metadata,
      metadata);
  add("GET", "/v2/models/{model}/ready", apis.models, &V2ModelApi::Ready, ready);
  add("GET", "/v2/models/{model}/versions/{version}/ready", apis.models, &V2ModelApi::Ready,
      ready);
  add("GET", "/v2/models/{model}/config", apis.models, &V2ModelApi::Config, config);
  add("GET", "/v2/models/{model}/versions/{version}/config", apis.models, &V2ModelApi::Config,
      config);
  add("POST", "/v2/models/{model}/infer", apis.models, &V2ModelApi::Infer, infer);
  add("POST", "/v2/models/{model}/versions/{version}/infer", apis.models, &V2ModelApi::Infer,
      infer);
  // Triton generate extension (GGUF language models).
  const OpenApiOperation generate = {.tag = kTriton,
                                     .summary = "Generate text (Triton generate extension)",
                                     .request = Json("GenerateRequest"),
                                     .response = Json("GenerateResponse"),
                                     .respond_async = true};
  const OpenApiOperation generate_stream = {
      .tag = kTriton,
      .summary = "Generate text as Server-Sent Events",
      .request = Json("GenerateRequest"),
      .response = Body("text/event-stream", "EventStream", "GenerateResponse")};
  add("POST", "/v2/models/{model}/generate", apis.generate, &GenerateApi::Generate, generate);
  add("POST", "/v2/models/{model}/versions/{version}/generate", apis.generate,
      &GenerateApi::Generate, generate);
  add("POST", "/v2/models/{model}/generate_stream", apis.generate, &GenerateApi::GenerateStream,
      generate_stream);
  add("POST", "/v2/models/{model}/versions/{version}/generate_stream", apis.generate,
      &GenerateApi::GenerateStream, generate_stream);
  // OpenAI: models, chat and completions (GGUF language models), embeddings.
  add("GET", "/v1/models", apis.openai, &OpenAiApi::Models,
      {.tag = kOpenAi, .summary = "List the models", .response = Json("OpenAiModelList")});
  add("GET", "/v1/models/{model}", apis.openai, &OpenAiApi::Model,
      {.tag = kOpenAi, .summary = "One model", .response = Json("OpenAiModel")});
  add("POST", "/v1/chat/completions", apis.openai, &OpenAiApi::ChatCompletions,
      {.tag = kOpenAi, .summary = "Chat completion (`stream: true` for Server-Sent Events)",
       .request = Json("ChatCompletionRequest"),
       .response = WithAlternative("ChatCompletion", "text/event-stream", "ChatCompletionChunk"),
       .respond_async = true});
  add("POST", "/v1/completions", apis.openai, &OpenAiApi::Completions,
      {.tag = kOpenAi, .summary = "Text completion (`stream: true` for Server-Sent Events)",
       .request = Json("CompletionRequest"),
       .response = WithAlternative("Completion", "text/event-stream", "Completion"),
       .respond_async = true});
  add("POST", "/v1/embeddings", apis.embeddings, &EmbeddingsApi::Embeddings,
      {.tag = kOpenAi, .summary = "Embeddings of texts", .request = Json("EmbeddingRequest"),
       .response = Json("EmbeddingList")});
  // Ollama: generate and chat (GGUF language models), embeddings, the model routes.
  add("POST", "/api/generate", apis.ollama, &OllamaApi::Generate,
      {.tag = kOllama, .summary = "Generate text (streams NDJSON unless `stream: false`)",
       .request = Json("OllamaGenerateRequest"),
       .response = WithAlternative("OllamaGenerateResponse", "application/x-ndjson",
                                   "OllamaGenerateResponse")});
  add("POST", "/api/chat", apis.ollama, &OllamaApi::Chat,
      {.tag = kOllama, .summary = "Chat (streams NDJSON unless `stream: false`)",
       .request = Json("OllamaChatRequest"),
       .response = WithAlternative("OllamaChatResponse", "application/x-ndjson",
                                   "OllamaChatResponse")});
  add("POST", "/api/embed", apis.ollama, &OllamaApi::Embed,
      {.tag = kOllama, .summary = "Embeddings of one or more texts",
       .request = Json("OllamaEmbedRequest"), .response = Json("OllamaEmbedResponse")});
  add("POST", "/api/embeddings", apis.ollama, &OllamaApi::Embeddings,
      {.tag = kOllama, .summary = "Embedding of one text (Ollama's older route)",
       .request = Json("OllamaEmbeddingsRequest"), .response = Json("OllamaEmbeddingsResponse")});
  add("GET", "/api/tags", apis.ollama, &OllamaApi::Tags,
      {.tag = kOllama, .summary = "List the models", .response = Json("OllamaTags")});
  add("POST", "/api/show", apis.ollama, &OllamaApi::Show,
      {.tag = kOllama, .summary = "One model's details", .request = Json("OllamaShowRequest"),
       .response = Json("OllamaShowResponse")});
  add("GET", "/api/ps", apis.ollama, &OllamaApi::Ps,
      {.tag = kOllama, .summary = "The models loaded now", .response = Json("OllamaPs")});
  add("GET", "/api/version", apis.ollama, &OllamaApi::Version,
      {.tag = kOllama, .summary = "The server's version", .response = Json("OllamaVersion")});
  add("POST", "/api/pull", apis.ollama, &OllamaApi::Pull,
      {.tag = kOllama, .summary = "Load a model of the repository (nothing is downloaded)",
       .request = Json("OllamaPullRequest"),
       .response = WithAlternative("OllamaPullStatus", "application/x-ndjson",
                                   "OllamaPullStatus")});
  // KServe v1 / TF Serving predict.
  const OpenApiOperation predict = {
      .tag = kV1,
      .summary = "Predict on instances (tensors or a task's inputs)",
      .description = "`instances` (row format) or `inputs` (columnar). Task models (text, "
                     "image) take their task's inputs; images may also come as "
                     "multipart/form-data.",
      .request = Json("PredictRequest"),
      .response = Json("PredictResponse"),
      .respond_async = true};
  add("POST", "/v1/models/{model}:predict", apis.predict, &PredictApi::Predict, predict);
  add("POST", "/v1/models/{model}/versions/{version}:predict", apis.predict,
      &PredictApi::Predict, predict);
  // Async jobs (`Prefer: respond-async` is the inference handlers' own).
  add("POST", "/v1/jobs", apis.jobs, &JobsApi::Create,
      {.tag = kJobs, .summary = "Submit a job: a request for an inference route, run later",
       .request = Json("JobSubmission"), .response = Json("JobAccepted"), .status = 202,
       .job_headers = true});
  add("GET", "/v1/jobs/{id}", apis.jobs, &JobsApi::Get,
      {.tag = kJobs, .summary = "A job's document", .response = Json("Job")});
  add("GET", "/v1/jobs/{id}/result", apis.jobs, &JobsApi::Result,
      {.tag = kJobs, .summary = "A finished job's answer, as its route gave it",
       .response = Json("JobResult")});
  add("GET", "/v1/jobs/{id}/events", apis.jobs, &JobsApi::Events,
      {.tag = kJobs, .summary = "A job's changes as Server-Sent Events, until it is final",
       .response = Body("text/event-stream", "EventStream", "Job")});
  add("DELETE", "/v1/jobs/{id}", apis.jobs, &JobsApi::Cancel,
      {.tag = kJobs, .summary = "Cancel a job",
       .description = "200: a queued job, now cancelled. 202: a running job, asked to stop "
                      "(the document says whether it can be interrupted). 409: already final.",
       .response = Json("Job"),
       .also = {{202, "A running job, asked to stop", Json("Job")}}});
  add("GET", "/v1/jobs", apis.jobs, &JobsApi::List,
      {.tag = kJobs, .summary = "List jobs, newest first", .response = Json("JobList"),
       .query = {{"status", "queued, running, succeeded, failed or cancelled"},
                 {"model", "Only this model's jobs"},
                 {"limit", "1..1000", "integer"},
                 {"cursor", "`next_cursor` of the previous page"},
                 {"include", "`result`: each job with its result"}}});
  // Triton model repository extension.
  add("POST", "/v2/repository/index", apis.repository, &RepositoryApi::Index,
      {.tag = kTriton, .summary = "The models of the repository and their states",
       .request = Json("RepositoryIndexRequest"), .request_required = false,
       .response = Json("RepositoryIndex")});
  add("POST", "/v2/repository/models/{model}/load", apis.repository, &RepositoryApi::Load,
      {.tag = kTriton, .summary = "Load (or reload) a model",
       .description = "Needs `--model-control-mode explicit`.",
       .request = Json("RepositoryLoadRequest"), .request_required = false,
       .response = Json("Empty")});
  add("POST", "/v2/repository/models/{model}/unload", apis.repository, &RepositoryApi::Unload,
      {.tag = kTriton, .summary = "Unload a model",
       .description = "Needs `--model-control-mode explicit`.", .response = Json("Empty")});
  // Summary, metrics and Triton statistics.
  add("GET", "/health", apis.health, &HealthApi::Summary,
      {.tag = kServer, .summary = "One-look summary: status, models, device, uptime",
       .response = Json("HealthSummary")});
  add("GET", "/metrics", apis.metrics, &MetricsApi::Prometheus,
      {.tag = kServer, .summary = "Prometheus metrics",
       .response = Body("text/plain", "PrometheusText")});
  add("GET", "/v2/models/stats", apis.metrics, &MetricsApi::Stats,
      {.tag = kTriton, .summary = "Statistics of every model", .response = Json("ModelStatistics")});
  add("GET", "/v2/models/{model}/stats", apis.metrics, &MetricsApi::Stats,
      {.tag = kTriton, .summary = "Statistics of one model", .response = Json("ModelStatistics")});
  add("GET", "/v2/models/{model}/versions/{version}/stats", apis.metrics, &MetricsApi::Stats,
      {.tag = kTriton, .summary = "Statistics of one model version",
       .response = Json("ModelStatistics")});
  // Triton shared memory extension (system; CUDA answers that there is no GPU).
  add("GET", "/v2/systemsharedmemory/status", apis.shared_memory,
      &SharedMemoryApi::SystemStatus,
      {.tag = kTriton, .summary = "System shared memory regions",
       .response = Json("SystemSharedMemoryStatus")});
  add("GET", "/v2/systemsharedmemory/region/{region}/status", apis.shared_memory,
      &SharedMemoryApi::SystemStatus,
      {.tag = kTriton, .summary = "One system shared memory region",
       .response = Json("SystemSharedMemoryStatus")});
  add("POST", "/v2/systemsharedmemory/region/{region}/register", apis.shared_memory,
      &SharedMemoryApi::SystemRegister,
      {.tag = kTriton, .summary = "Register a system shared memory region",
       .request = Json("SystemSharedMemoryRegister"), .response = Json("Empty")});
  add("POST", "/v2/systemsharedmemory/unregister", apis.shared_memory,
      &SharedMemoryApi::SystemUnregister,
      {.tag = kTriton, .summary = "Unregister every system shared memory region",
       .response = Json("Empty")});
  add("POST", "/v2/systemsharedmemory/region/{region}/unregister", apis.shared_memory,
      &SharedMemoryApi::SystemUnregister,
      {.tag = kTriton, .summary = "Unregister a system shared memory region",
       .response = Json("Empty")});
  add("GET", "/v2/cudasharedmemory/status", apis.shared_memory, &SharedMemoryApi::CudaStatus,
      {.tag = kTriton, .summary = "CUDA shared memory regions (none: no GPU)",
       .response = Json("CudaSharedMemoryStatus")});
  add("GET", "/v2/cudasharedmemory/region/{region}/status", apis.shared_memory,
      &SharedMemoryApi::CudaStatus,
      {.tag = kTriton, .summary = "One CUDA shared memory region (none: no GPU)",
       .response = Json("CudaSharedMemoryStatus")});
  add("POST", "/v2/cudasharedmemory/region/{region}/register", apis.shared_memory,
      &SharedMemoryApi::CudaRegister,
      {.tag = kTriton, .summary = "Register a CUDA shared memory region (refused: no GPU)",
       .request = Json("CudaSharedMemoryRegister"), .response = Json("Empty")});
  add("POST", "/v2/cudasharedmemory/unregister", apis.shared_memory,
      &SharedMemoryApi::CudaUnregister,
      {.tag = kTriton, .summary = "Unregister every CUDA shared memory region",
       .response = Json("Empty")});
  add("POST", "/v2/cudasharedmemory/region/{region}/unregister", apis.shared_memory,
      &SharedMemoryApi::CudaUnregister,
      {.tag = kTriton, .summary = "Unregister a CUDA shared memory region",
       .response = Json("Empty")});
  // Triton logging and trace extensions.
  add("GET", "/v2/logging", apis.settings, &ServerSettingsApi::GetLogging,
      {.tag = kTriton, .summary = "Log settings", .response = Json("LogSettings")});
  add("POST", "/v2/logging", apis.settings, &ServerSettingsApi::SetLogging,
      {.tag = kTriton, .summary = "Change log settings", .request = Json("LogSettings"),
       .response = Json("LogSettings")});
  add("GET", "/v2/trace/setting", apis.settings, &ServerSettingsApi::GetTrace,
      {.tag = kTriton, .summary = "Trace settings", .response = Json("TraceSettings")});
  add("POST", "/v2/trace/setting", apis.settings, &ServerSettingsApi::SetTrace,
      {.tag = kTriton, .summary = "Change trace settings", .request = Json("TraceSettings"),
       .response = Json("TraceSettings")});
  // This document and its page.
  add("GET", "/openapi.json", apis.docs, &DocsApi::Document,
      {.tag = kServer, .summary = "This OpenAPI 3.1 document",
       .response = Json("OpenApiDocument")});
  add("GET", "/docs", apis.docs, &DocsApi::Page,
      {.tag = kServer, .summary = "The browsable API page (Swagger UI)",
       .response = Body("text/html", "HtmlPage")});
  add("GET", "/docs/assets/{file}", apis.docs, &DocsApi::Asset,
      {.tag = kServer, .summary = "A script, style sheet or icon of the API page",
       .response = Body("*/*", "AssetFile")});
}

}  // namespace inferd
