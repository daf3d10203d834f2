#pragma once

// Every HTTP route of the server, in one place: method, pattern, and the API
// handler that answers it. To add an endpoint, give its API class a public
// handler method and add one line to AddServerRoutes(), with what the
// OpenAPI document (/openapi.json) says about the route.
//
// The route table picks the most specific pattern whatever the order of the
// lines (see http/route_table.h), so the lines follow the README's HTTP API
// table, for readers. Adding the same method and pattern twice aborts at
// start-up.

#include "api/docs_api.h"
#include "api/embeddings_api.h"
#include "api/generate_api.h"
#include "api/health_api.h"
#include "api/jobs_api.h"
#include "api/metrics_api.h"
#include "api/ollama_api.h"
#include "api/openai_api.h"
#include "api/openapi_document.h"
#include "api/predict_api.h"
#include "api/repository_api.h"
#include "api/server_settings_api.h"
#include "api/shared_memory_api.h"
#include "api/v2_model_api.h"
#include "http/route_table.h"
#include "server/route_guard.h"

namespace inferd {

// The API objects that answer the routes. None owned; each must outlive the
// RouteTable it is added to. The server sets them all; a null one leaves its
// routes out, so a unit test can route to just the API it tests.
struct ServerApis {
  const HealthApi* health = nullptr;
  const V2ModelApi* models = nullptr;
  const EmbeddingsApi* embeddings = nullptr;
  const GenerateApi* generate = nullptr;
  const OpenAiApi* openai = nullptr;
  const OllamaApi* ollama = nullptr;
  const PredictApi* predict = nullptr;
  const JobsApi* jobs = nullptr;
  const RepositoryApi* repository = nullptr;
  const MetricsApi* metrics = nullptr;
  const SharedMemoryApi* shared_memory = nullptr;
  const ServerSettingsApi* settings = nullptr;
  const DocsApi* docs = nullptr;
};

// Adds the routes of every non-null API in `apis` to `routes`, each behind
// `guard` when one is given (API keys, scopes, rate limits), and documents
// each in `document` when one is given (the caller Finish()es it).
void AddServerRoutes(RouteTable& routes, const ServerApis& apis,
                     const RouteGuard* guard = nullptr, OpenApiDocument* document = nullptr);

}  // namespace inferd
