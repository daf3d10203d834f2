#include "grpc/grpc_guard.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/strings.h"

namespace inferd::grpc_api {
namespace {

std::optional<std::string_view> Metadata(grpc::ServerContextBase* context, std::string_view key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

// The key a call presents: the Bearer token of `authorization`, else
// `x-api-key`. nullopt with `*malformed` set when `authorization` is there
// but not a Bearer token.
std::optional<std::string> PresentedKey(grpc::ServerContextBase* context, bool* malformed) {
  if (std::optional<std::string_view> authorization = Metadata(context, "authorization")) {
    const absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(*authorization));
    if (value.size() > 7 && absl::StartsWithIgnoreCase(value, "bearer ")) {
      const absl::string_view token = absl::StripLeadingAsciiWhitespace(value.substr(7));
      if (!token.empty()) return std::string(token);
    }
    *malformed = true;
    return std::nullopt;
  }
  if (std::optional<std::string_view> key = Metadata(context, "x-api-key")) {
    const absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(*key));
    if (!value.empty()) return std::string(value);
  }
  return std::nullopt;
}

std::string_view ScopeFor(Access access) {
  return access == Access::kAdmin ? auth::kScopeAdmin : auth::kScopeInfer;
}

}  // namespace

std::string PeerAddress(std::string_view peer) {
  if (absl::StartsWith(ToAbsl(peer), "ipv4:")) {
    std::string_view rest = peer.substr(5);
    return std::string(rest.substr(0, rest.rfind(':')));
  }
  if (absl::StartsWith(ToAbsl(peer), "ipv6:[")) {
    std::string_view rest = peer.substr(6);
    return std::string(rest.substr(0, rest.find(']')));
  }
  return std::string(peer);
}

GrpcGuard::GrpcGuard(Options options) : options_(std::move(options)) {
  if (options_.metrics != nullptr) {
    // The family the HTTP route guard counts in (the registry returns the
    // existing one), so one metric counts refusals of both transports.
    rejected_ = options_.metrics->AddCounter(
        "inferd_ratelimit_rejected_total",
        "Requests refused with 429 by a rate limit, by API key (\"anonymous\" when keys are "
        "off) and limit (requests, concurrency, tokens).",
        {"key", "limit"});
  }
}

grpc::Status GrpcGuard::Admit(grpc::ServerContextBase* context, std::string_view rpc,
                              Access access, std::shared_ptr<void>* permit) const {
  permit->reset();
  if (access == Access::kOpen) return grpc::Status::OK;
  if (options_.keys == nullptr) {
    if (!options_.anonymous.any()) return grpc::Status::OK;
    return Limited(context, StrCat("ip:", PeerAddress(context->peer())), "anonymous",
                   options_.anonymous, permit);
  }
  bool malformed = false;
  std::optional<std::string> secret = PresentedKey(context, &malformed);
  if (!secret) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        malformed ? "the authorization metadata must be \"Bearer <API key>\""
                                  : "an API key is required: send \"authorization: Bearer "
                                    "<key>\" or \"x-api-key: <key>\" metadata");
  }
  std::shared_ptr<const auth::ApiKey> key = options_.keys->Authenticate(*secret);
  if (key == nullptr) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the API key is not valid");
  }
  const std::string_view scope = ScopeFor(access);
  if (!key->HasScope(scope)) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        StrCat("API key \"", key->name, "\" does not have the \"", scope,
                               "\" scope that ", rpc, " needs"));
  }
  return Limited(context, key->name, key->name, key->limits, permit);
}

grpc::Status GrpcGuard::Limited(grpc::ServerContextBase* context, const std::string& client_id,
                                const std::string& label, const auth::RateLimits& limits,
                                std::shared_ptr<void>* permit) const {
  if (!limits.any() || options_.limiter == nullptr) return grpc::Status::OK;
  auth::RateDecision decision = options_.limiter->Admit(client_id, limits);
  if (decision.admitted()) {
    *permit = std::move(decision.permit);
    return grpc::Status::OK;
  }
  const std::string_view limit = auth::LimitName(decision.rejected_by);
  if (rejected_ != nullptr) rejected_->WithLabels({label, std::string(limit)})->Increment();
  const int64_t retry_after = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(decision.retry_after))));
  context->AddTrailingMetadata("retry-after", std::to_string(retry_after));
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
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, message);
}

}  // namespace inferd::grpc_api
