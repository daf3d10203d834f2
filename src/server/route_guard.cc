#include "server/route_guard.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd {
namespace {

namespace json = boost::json;

constexpr std::string_view kChallenge = "Bearer realm=\"inferd\"";

// An error in the route's format: OpenAI's error object or {"error": ...}.
HttpResponse Error(const RoutePolicy& policy, int status, std::string_view message,
                   std::string_view openai_type, std::string_view openai_code) {
  if (!policy.openai_errors) return JsonError(status, message);
  return JsonBody(status, json::serialize(json::object{
                              {"error", json::object{{"message", message},
                                                     {"type", openai_type},
                                                     {"param", nullptr},
                                                     {"code", openai_code}}}}));
}

HttpResponse Unauthorized(const RoutePolicy& policy, std::string_view message,
                          bool invalid_token) {
  HttpResponse response = Error(policy, 401, message, "invalid_request_error", "invalid_api_key");
  response.headers.emplace_back(
      "WWW-Authenticate",
      invalid_token ? StrCat(kChallenge, ", error=\"invalid_token\"") : std::string(kChallenge));
  return response;
}

// The key a request presents: the Bearer token of Authorization, else
// X-API-Key. nullopt with `*malformed` set when Authorization is there but
// not a Bearer token.
std::optional<std::string_view> PresentedKey(const HttpRequest& request, bool* malformed) {
  if (std::optional<std::string_view> authorization = request.header("authorization")) {
    const absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(*authorization));
    if (value.size() > 7 && absl::StartsWithIgnoreCase(value, "bearer ")) {
      const absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(7));
      if (!token.empty()) return ToStd(token);
    }
    *malformed = true;
    return std::nullopt;
  }
  if (std::optional<std::string_view> key = request.header("x-api-key")) {
    const absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(*key));
    if (!value.empty()) return ToStd(value);
  }
  return std::nullopt;
}

int64_t WholeSeconds(absl::Duration duration) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(duration))));
}

void AddQuotaHeaders(const auth::RateDecision& decision,
                     std::vector<std::pair<std::string, std::string>>& headers) {
  if (!decision.has_quota) return;
  headers.emplace_back("RateLimit-Limit", std::to_string(decision.quota_limit));
  headers.emplace_back("RateLimit-Remaining", std::to_string(decision.quota_remaining));
  headers.emplace_back("RateLimit-Reset", std::to_string(decision.quota_reset_seconds));
}

// A streamed body that holds a rate-limit permit until the stream ends, so
// max_concurrent counts streams for as long as they run.
class PermitStream : public ResponseStream {
 public:
  PermitStream(std::shared_ptr<ResponseStream> inner, std::shared_ptr<void> permit)
      : inner_(std::move(inner)), permit_(std::move(permit)) {}
  void Next(Deliver deliver) override { inner_->Next(std::move(deliver)); }
  void Close() override {
    inner_->Close();
    std::shared_ptr<void> release;
    {
      std::lock_guard<std::mutex> lock(mu_);
      release = std::move(permit_);
    }
  }

 private:
  std::shared_ptr<ResponseStream> inner_;
  std::mutex mu_;
  std::shared_ptr<void> permit_;
};

}  // namespace

RouteGuard::RouteGuard(Options options) : options_(std::move(options)) {
  if (options_.metrics != nullptr) {
    rejected_ = options_.metrics->AddCounter(
        "inferd_ratelimit_rejected_total",
        "Requests refused with 429 by a rate limit, by API key (\"anonymous\" when keys are "
        "off) and limit (requests, concurrency, tokens).",
        {"key", "limit"});
  }
}

RouteTable::Handler RouteGuard::Wrap(const std::string& method, const std::string& pattern,
                                     RouteTable::Handler handler) const {
  const RoutePolicy policy = PolicyFor(method, pattern, options_.metrics_open);
  if (policy.access == RoutePolicy::Access::kOpen) return handler;
  if (options_.keys == nullptr && !options_.anonymous.any()) return handler;
  std::string route = StrCat(method, " ", pattern);
  return [this, policy, route = std::move(route), handler = std::move(handler)](
             HttpRequest&& request, Responder respond) {
    Guarded(policy, route, handler, std::move(request), std::move(respond));
  };
}

void RouteGuard::Guarded(const RoutePolicy& policy, const std::string& route,
                         const RouteTable::Handler& handler, HttpRequest&& request,
                         Responder respond) const {
  if (options_.keys == nullptr) {
    return Limited(policy, StrCat("ip:", request.remote_address), "anonymous",
                   options_.anonymous, handler, std::move(request), std::move(respond));
  }
  bool malformed = false;
  std::optional<std::string_view> secret = PresentedKey(request, &malformed);
  if (!secret) {
    return respond(Unauthorized(
        policy,
        malformed ? "the Authorization header must be \"Bearer <API key>\""
                  : "an API key is required: send \"Authorization: Bearer <key>\" or "
                    "\"X-API-Key: <key>\"",
        malformed));
  }
  std::shared_ptr<const auth::ApiKey> key = options_.keys->Authenticate(*secret);
  if (key == nullptr) return respond(Unauthorized(policy, "the API key is not valid", true));
  const std::string_view scope = RequiredScope(policy.access);
  if (!key->HasScope(scope)) {
    return respond(Error(policy, 403,
                         StrCat("API key \"", key->name, "\" does not have the \"", scope,
                                "\" scope that ", route, " needs"),
                         "invalid_request_error", "insufficient_scope"));
  }
  auto caller = std::make_shared<RequestCaller>();
  caller->name = key->name;
  caller->scopes = key->scopes;
  request.caller = std::move(caller);
  Limited(policy, key->name, key->name, key->limits, handler, std::move(request),
          std::move(respond));
}

void RouteGuard::Limited(const RoutePolicy& policy, const std::string& client_id,
                         const std::string& label, const auth::RateLimits& limits,
                         const RouteTable::Handler& handler, HttpRequest&& request,
                         Responder respond) const {
  if (!limits.any() || options_.limiter == nullptr) {
    return handler(std::move(request), std::move(respond));
  }
  auth::RateDecision decision = options_.limiter->Admit(client_id, limits);
  if (!decision.admitted()) {
    const std::string_view limit = auth::LimitName(decision.rejected_by);
    if (rejected_ != nullptr) rejected_->WithLabels({label, std::string(limit)})->Increment();
    std::string message;
    switch (decision.rejected_by) {
      case auth::RateDecision::Limit::kConcurrency:
        message = StrCat("rate limited: ", label, " already has ", limits.max_concurrent,
                         " requests in flight (max_concurrent)");
        break;
      case auth::RateDecision::Limit::kTokens:
        message = StrCat("rate limited: ", label, " has used its ", limits.tokens_per_minute,
                         " generated tokens per minute (tokens_per_minute)");
        break;
      default:
        message = StrCat("rate limited: ", label, " is over ", limits.requests_per_second,
                         " requests per second (requests_per_second)");
        break;
    }
    HttpResponse response = Error(policy, 429, message, limit, "rate_limit_exceeded");
    response.headers.emplace_back("Retry-After",
                                  std::to_string(WholeSeconds(decision.retry_after)));
    AddQuotaHeaders(decision, response.headers);
    return respond(std::move(response));
  }
  if (limits.tokens_per_minute > 0) {
    auth::RateLimiter* limiter = options_.limiter;
    request.charge_tokens = [limiter, client_id, limits](int64_t tokens) {
      limiter->ChargeTokens(client_id, limits, tokens);
    };
  }
  // The permit is held until the handler answers, or a streamed answer ends.
  auto admitted = std::make_shared<auth::RateDecision>(std::move(decision));
  handler(std::move(request), [respond = std::move(respond), admitted](HttpResponse response) {
    AddQuotaHeaders(*admitted, response.headers);
    std::shared_ptr<void> held = std::move(admitted->permit);
    if (response.stream) {
      response.stream = std::make_shared<PermitStream>(std::move(response.stream), std::move(held));
    }
    respond(std::move(response));
  });
}

}  // namespace inferd
