#include "server/route_policy.h"

#include <array>

#include "absl/strings/match.h"
#include "auth/api_key.h"
#include "common/strings.h"

namespace inferd {
namespace {

// Load balancers and orchestrators probe these without credentials; the
// API's document and its page show the API's shape, no model, job or data,
// and a person needs them to find out how to use a key.
constexpr std::array<std::string_view, 6> kOpenRoutes = {
    "/v2/health/live", "/v2/health/ready", "/health", "/openapi.json", "/docs",
    "/docs/assets/{file}"};
constexpr std::array<std::string_view, 5> kOpenAiRoutes = {
    "/v1/models", "/v1/models/{model}", "/v1/chat/completions", "/v1/completions",
    "/v1/embeddings"};

template <size_t N>
bool OneOf(std::string_view pattern, const std::array<std::string_view, N>& list) {
  for (std::string_view entry : list) {
    if (pattern == entry) return true;
  }
  return false;
}

}  // namespace

RoutePolicy PolicyFor(std::string_view method, std::string_view pattern, bool metrics_open) {
  RoutePolicy policy;
  policy.openai_errors = OneOf(pattern, kOpenAiRoutes);
  if (OneOf(pattern, kOpenRoutes) || (pattern == "/metrics" && metrics_open)) {
    policy.access = RoutePolicy::Access::kOpen;
  } else if (absl::StartsWith(ToAbsl(pattern), "/v2/repository/") || pattern == "/metrics" ||
             // Shared memory maps objects of the server's host; logging
             // and trace change the whole server.
             absl::StartsWith(ToAbsl(pattern), "/v2/systemsharedmemory") ||
             absl::StartsWith(ToAbsl(pattern), "/v2/cudasharedmemory") ||
             pattern == "/v2/logging" || pattern == "/v2/trace/setting") {
    policy.access = RoutePolicy::Access::kAdmin;
  }
  return policy;
}

std::string_view RequiredScope(RoutePolicy::Access access) {
  switch (access) {
    case RoutePolicy::Access::kOpen: return "";
    case RoutePolicy::Access::kInfer: return auth::kScopeInfer;
    case RoutePolicy::Access::kAdmin: return auth::kScopeAdmin;
  }
  return auth::kScopeAdmin;
}

}  // namespace inferd
