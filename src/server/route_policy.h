#pragma once

// Who may call each route when API keys are on, decided from the route's
// method and pattern, so a route added to routes.cc is protected without
// anyone remembering to: every route needs the "infer" scope unless it is
// listed here as open (the health probes, the API's document and page) or as needing "admin" (the model
// repository, /metrics unless it is left open, shared memory, logging and
// trace settings).
//
// Also which error format a route answers in: OpenAI's error object on the
// OpenAI routes, {"error": "..."} elsewhere. Pure functions; thread-safe.

#include <string_view>

namespace inferd {

struct RoutePolicy {
  enum class Access { kOpen, kInfer, kAdmin };
  Access access = Access::kInfer;
  bool openai_errors = false;  // answer errors with OpenAI's error object
};

// The policy of the route `method` `pattern` (as registered, e.g.
// "/v2/models/{model}/infer"). `metrics_open`: /metrics needs no key.
RoutePolicy PolicyFor(std::string_view method, std::string_view pattern, bool metrics_open);

// The scope a policy's access needs ("infer", "admin"); "" for kOpen.
std::string_view RequiredScope(RoutePolicy::Access access);

}  // namespace inferd
