#pragma once

// Every API the server wires (as server.cc does), on an empty ApiContext:
// for the tests that look at the route table and the OpenAPI document, not
// at what a handler answers.

#include <memory>

#include "metrics/metrics_registry.h"
#include "server/routes.h"

namespace inferd::testing {

struct EveryApi {
  // The pointers AddServerRoutes() takes; `docs` may be null.
  ServerApis Pointers(const DocsApi* docs = nullptr) const {
    return {.health = &health,
            .models = &models,
            .embeddings = &embeddings,
            .generate = &generate,
            .openai = &openai,
            .ollama = &ollama,
            .predict = &predict,
            .jobs = jobs.get(),
            .repository = &repository,
            .metrics = &metrics,
            .shared_memory = &shared_memory,
            .settings = &settings,
            .docs = docs};
  }

  ApiContext context;
  MetricsRegistry registry;
  HealthApi health{&context};
  V2ModelApi models{&context};
  EmbeddingsApi embeddings{&context, {}};
  GenerateApi generate{&context};
  OpenAiApi openai{&context};
  OllamaApi ollama{&context, {}};
  PredictApi predict{&context, {}};
  std::unique_ptr<JobsApi> jobs = JobsApi::Unavailable(&context, "no store in this test");
  RepositoryApi repository{&context};
  MetricsApi metrics{&context, &registry};
  SharedMemoryApi shared_memory{&context};
  ServerSettingsApi settings{&context};
};

}  // namespace inferd::testing
