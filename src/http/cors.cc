#include "http/cors.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/strings.h"

namespace inferd {
namespace {

constexpr std::string_view kAllowMethods = "GET, POST, DELETE, OPTIONS";
// Request headers a page may send: content negotiation, API keys, jobs.
constexpr std::string_view kAllowHeaders =
    "Authorization, Content-Type, X-API-Key, X-Request-Id, Idempotency-Key, Prefer, "
    "Job-Priority, Job-Webhook, Inference-Header-Content-Length";
// Response headers a page may read besides the CORS-safelisted ones.
constexpr std::string_view kExposeHeaders =
    "Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, "
    "X-Request-Id, Job-Result-Status, Preference-Applied, Inference-Header-Content-Length, "
    "WWW-Authenticate";
constexpr std::string_view kMaxAgeSeconds = "600";

bool ValidOrigin(std::string_view origin) {
  const absl::string_view text = ToAbsl(origin);
  if (!absl::StartsWith(text, "http://") && !absl::StartsWith(text, "https://")) return false;
  const absl::string_view host = text.substr(text.find("//") + 2);
  if (host.empty()) return false;
  return std::none_of(host.begin(), host.end(), [](char c) {
    return c == '/' || c == '?' || c == '#' || c == '*' ||
           absl::ascii_isspace(static_cast<unsigned char>(c));
  });
}

}  // namespace

absl::StatusOr<CorsPolicy> CorsPolicy::Create(const std::vector<std::string>& origins) {
  CorsPolicy policy;
  for (const std::string& origin : origins) {
    if (origin == "*") {
      policy.any_origin_ = true;
    } else if (!ValidOrigin(origin)) {
      return absl::InvalidArgumentError(StrCat(
          "--cors-origins \"", origin,
          "\" is not an origin: give \"*\" or scheme and host like \"https://app.example.com\" "
          "(with \":port\" when not the default), without a path"));
    } else {
      policy.origins_.push_back(std::string(origin));
    }
  }
  return policy;
}

std::optional<std::string> CorsPolicy::AllowedOrigin(std::string_view origin) const {
  if (origin.empty()) return std::nullopt;
  if (any_origin_) return std::string("*");
  for (const std::string& allowed : origins_) {
    // Origins compare case-insensitively in scheme and host.
    if (absl::EqualsIgnoreCase(allowed, ToAbsl(origin))) return std::string(origin);
  }
  return std::nullopt;
}

bool CorsPolicy::IsPreflight(const HttpRequest& request) const {
  return enabled() && request.method == "OPTIONS" && request.header("origin").has_value() &&
         request.header("access-control-request-method").has_value();
}

HttpResponse CorsPolicy::Preflight(const HttpRequest& request) const {
  const std::string_view origin = request.header("origin").value_or("");
  std::optional<std::string> allowed = AllowedOrigin(origin);
  if (!allowed) {
    return JsonError(403, StrCat("origin \"", origin, "\" may not call this server "
                                 "(--cors-origins)"));
  }
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  response.headers.emplace_back("Access-Control-Allow-Origin", *allowed);
  response.headers.emplace_back("Access-Control-Allow-Methods", std::string(kAllowMethods));
  response.headers.emplace_back("Access-Control-Allow-Headers", std::string(kAllowHeaders));
  response.headers.emplace_back("Access-Control-Max-Age", std::string(kMaxAgeSeconds));
  if (*allowed != "*") response.headers.emplace_back("Vary", "Origin");
  return response;
}

void CorsPolicy::Decorate(std::string_view origin, HttpResponse& response) const {
  if (!enabled()) return;
  std::optional<std::string> allowed = AllowedOrigin(origin);
  if (!allowed) return;
  const bool any = *allowed == "*";
  response.headers.emplace_back("Access-Control-Allow-Origin", std::move(*allowed));
  response.headers.emplace_back("Access-Control-Expose-Headers", std::string(kExposeHeaders));
  if (!any) response.headers.emplace_back("Vary", "Origin");
}

}  // namespace inferd
