#include "server/route_guard.h"

#include <optional>

#include "auth/api_key.h"
#include "boost/json.hpp"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

std::optional<std::string> Header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

auth::ApiKey Key(std::string name, std::string_view secret, std::vector<std::string> scopes,
                 auth::RateLimits limits = {}) {
  auth::ApiKey key;
  key.name = std::move(name);
  key.digest = auth::Sha256(secret);
  key.scopes = std::move(scopes);
  key.limits = limits;
  return key;
}

class RouteGuardTest : public ::testing::Test {
 protected:
  RouteGuardTest() {
    keys_ = auth::KeyRing::FromKeys(
        {Key("alice", "alice-secret-0123", {"infer"}),
         Key("ops", "ops-secret-0123456", {"admin"}),
         Key("tight", "tight-secret-01234", {"infer"},
             {.requests_per_second = 1, .burst = 1, .max_concurrent = 0,
              .tokens_per_minute = 60})});
  }

  RouteGuard Guard(bool with_keys = true, auth::RateLimits anonymous = {}) {
    return RouteGuard({.keys = with_keys ? keys_.get() : nullptr,
                       .limiter = &limiter_,
                       .anonymous = anonymous,
                       .metrics_open = false,
                       .metrics = &registry_});
  }

  // Calls `pattern`'s handler behind `guard`; returns the answer and what the
  // handler saw (null when it was not reached).
  HttpResponse Call(const RouteGuard& guard, const std::string& method,
                    const std::string& pattern, std::vector<std::pair<std::string, std::string>> headers,
                    std::shared_ptr<const RequestCaller>* seen = nullptr,
                    std::function<void(int64_t)>* charge = nullptr) {
    bool reached = false;
    RouteTable::Handler handler = guard.Wrap(
        method, pattern, [&](HttpRequest&& request, Responder respond) {
          reached = true;
          if (seen) *seen = request.caller;
          if (charge) *charge = request.charge_tokens;
          respond(JsonBody(200, "{}"));
        });
    HttpRequest request;
    request.method = method;
    request.path = pattern;
    request.headers = std::move(headers);
    request.remote_address = "10.0.0.7";
    std::optional<HttpResponse> answer;
    handler(std::move(request), [&](HttpResponse response) { answer = std::move(response); });
    EXPECT_TRUE(answer.has_value());
    EXPECT_EQ(reached, answer->status == 200);
    return *answer;
  }

  FakeClock clock_;
  auth::RateLimiter limiter_{{.clock = &clock_}};
  MetricsRegistry registry_;
  std::unique_ptr<auth::KeyRing> keys_;
};

TEST_F(RouteGuardTest, MissingKeyIs401WithAChallenge) {
  RouteGuard guard = Guard();
  HttpResponse response = Call(guard, "POST", "/v2/models/{model}/infer", {});
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(Header(response, "WWW-Authenticate"), "Bearer realm=\"inferd\"");
  EXPECT_THAT(response.body, HasSubstr("an API key is required"));
}

TEST_F(RouteGuardTest, OpenAiRoutesAnswerWithOpenAisErrorObject) {
  RouteGuard guard = Guard();
  HttpResponse response = Call(guard, "POST", "/v1/chat/completions", {});
  ASSERT_EQ(response.status, 401);
  boost::json::value body = boost::json::parse(response.body);
  EXPECT_EQ(body.at("error").at("code"), "invalid_api_key");
  EXPECT_EQ(body.at("error").at("type"), "invalid_request_error");
  EXPECT_TRUE(body.at("error").at("param").is_null());
}

TEST_F(RouteGuardTest, UnknownOrMalformedKeyIs401InvalidToken) {
  RouteGuard guard = Guard();
  HttpResponse unknown =
      Call(guard, "GET", "/v1/models", {{"authorization", "Bearer alice-secret-0124"}});
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(Header(unknown, "WWW-Authenticate"), "Bearer realm=\"inferd\", error=\"invalid_token\"");
  EXPECT_EQ(Call(guard, "GET", "/v1/models", {{"authorization", "Basic YTpi"}}).status, 401);
  EXPECT_EQ(Call(guard, "GET", "/v1/models", {{"authorization", "Bearer "}}).status, 401);
  EXPECT_EQ(Call(guard, "GET", "/v1/models", {{"x-api-key", ""}}).status, 401);
}

TEST_F(RouteGuardTest, ValidKeyReachesTheHandlerWithItsCaller) {
  RouteGuard guard = Guard();
  std::shared_ptr<const RequestCaller> caller;
  HttpResponse response = Call(guard, "GET", "/v1/jobs",
                               {{"authorization", "bearer   alice-secret-0123 "}}, &caller);
  EXPECT_EQ(response.status, 200);
  ASSERT_NE(caller, nullptr);
  EXPECT_EQ(caller->name, "alice");
  EXPECT_TRUE(caller->HasScope("infer"));
  EXPECT_FALSE(caller->HasScope("admin"));
  EXPECT_EQ(Call(guard, "GET", "/v1/jobs", {{"x-api-key", "alice-secret-0123"}}).status, 200);
}

TEST_F(RouteGuardTest, WrongScopeIs403NamingIt) {
  RouteGuard guard = Guard();
  HttpResponse response = Call(guard, "POST", "/v2/repository/models/{model}/load",
                               {{"x-api-key", "alice-secret-0123"}});
  EXPECT_EQ(response.status, 403);
  EXPECT_THAT(response.body, HasSubstr("\\\"admin\\\" scope"));
  EXPECT_EQ(Call(guard, "GET", "/metrics", {{"x-api-key", "alice-secret-0123"}}).status, 403);
  EXPECT_EQ(Call(guard, "GET", "/metrics", {{"x-api-key", "ops-secret-0123456"}}).status, 200);
  EXPECT_EQ(
      Call(guard, "POST", "/v2/models/{model}/infer", {{"x-api-key", "ops-secret-0123456"}}).status,
      403);
}

TEST_F(RouteGuardTest, HealthProbesNeedNoKey) {
  RouteGuard guard = Guard();
  for (const char* route : {"/v2/health/live", "/v2/health/ready", "/health"}) {
    EXPECT_EQ(Call(guard, "GET", route, {}).status, 200) << route;
  }
}

TEST_F(RouteGuardTest, KeyOverItsRateIs429WithHeadersAndCounted) {
  RouteGuard guard = Guard();
  const std::vector<std::pair<std::string, std::string>> tight = {
      {"x-api-key", "tight-secret-01234"}};
  HttpResponse first = Call(guard, "GET", "/v1/jobs", tight);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(Header(first, "RateLimit-Limit"), "1");
  EXPECT_EQ(Header(first, "RateLimit-Remaining"), "0");
  HttpResponse refused = Call(guard, "GET", "/v1/jobs", tight);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(Header(refused, "Retry-After"), "1");
  EXPECT_EQ(Header(refused, "RateLimit-Reset"), "1");
  EXPECT_THAT(registry_.RenderPrometheus(),
              HasSubstr("inferd_ratelimit_rejected_total{key=\"tight\",limit=\"requests\"} 1"));
  // Another key goes on.
  EXPECT_EQ(Call(guard, "GET", "/v1/jobs", {{"x-api-key", "alice-secret-0123"}}).status, 200);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Call(guard, "GET", "/v1/jobs", tight).status, 200);
}

TEST_F(RouteGuardTest, GeneratedTokensChargedThroughTheRequestAreLimited) {
  RouteGuard guard = Guard();
  const std::vector<std::pair<std::string, std::string>> tight = {
      {"x-api-key", "tight-secret-01234"}};
  std::function<void(int64_t)> charge;
  ASSERT_EQ(Call(guard, "POST", "/v1/completions", tight, nullptr, &charge).status, 200);
  ASSERT_TRUE(charge);
  charge(100);  // more than the minute's 60
  clock_.Advance(absl::Seconds(1));  // the request bucket has refilled
  HttpResponse refused = Call(guard, "POST", "/v1/completions", tight);
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.body, HasSubstr("rate_limit_exceeded"));
  EXPECT_THAT(refused.body, HasSubstr("tokens_per_minute"));
  EXPECT_EQ(Header(refused, "RateLimit-Limit"), "60");
  // A key without a token limit gets no charge function.
  std::function<void(int64_t)> none;
  Call(guard, "POST", "/v1/completions", {{"x-api-key", "alice-secret-0123"}}, nullptr, &none);
  EXPECT_FALSE(none);
}

TEST_F(RouteGuardTest, WithoutKeysEverythingIsOpenUnlessAnonymousLimitsAreSet) {
  RouteGuard open = Guard(/*with_keys=*/false);
  std::shared_ptr<const RequestCaller> caller;
  EXPECT_EQ(Call(open, "POST", "/v2/repository/index", {}, &caller).status, 200);
  EXPECT_EQ(caller, nullptr);
  RouteGuard limited = Guard(/*with_keys=*/false, {.requests_per_second = 1});
  EXPECT_EQ(Call(limited, "GET", "/v2", {}).status, 200);
  HttpResponse refused = Call(limited, "GET", "/v2", {});
  EXPECT_EQ(refused.status, 429);
  EXPECT_FALSE(Header(refused, "WWW-Authenticate").has_value());
  EXPECT_THAT(registry_.RenderPrometheus(),
              HasSubstr("inferd_ratelimit_rejected_total{key=\"anonymous\",limit=\"requests\"} 1"));
  EXPECT_EQ(Call(limited, "GET", "/health", {}).status, 200);
}

TEST(RoutePolicyTest, OnlyHealthAndDocsAreOpenAndOnlyTheRepositoryAndMetricsNeedAdmin) {
  using Access = RoutePolicy::Access;
  EXPECT_EQ(PolicyFor("GET", "/v2/health/live", false).access, Access::kOpen);
  EXPECT_EQ(PolicyFor("GET", "/health", false).access, Access::kOpen);
  EXPECT_EQ(PolicyFor("GET", "/openapi.json", false).access, Access::kOpen);
  EXPECT_EQ(PolicyFor("GET", "/docs", false).access, Access::kOpen);
  EXPECT_EQ(PolicyFor("GET", "/docs/assets/{file}", false).access, Access::kOpen);
  EXPECT_EQ(PolicyFor("GET", "/metrics", false).access, Access::kAdmin);
  EXPECT_EQ(PolicyFor("GET", "/metrics", true).access, Access::kOpen);
  EXPECT_EQ(PolicyFor("POST", "/v2/repository/index", false).access, Access::kAdmin);
  EXPECT_EQ(PolicyFor("POST", "/v2/systemsharedmemory/region/{region}/register", false).access,
            Access::kAdmin);
  EXPECT_EQ(PolicyFor("POST", "/v2/logging", false).access, Access::kAdmin);
  EXPECT_EQ(PolicyFor("GET", "/v2/trace/setting", false).access, Access::kAdmin);
  EXPECT_EQ(PolicyFor("POST", "/v2/repository/models/{model}/unload", false).access,
            Access::kAdmin);
  EXPECT_EQ(PolicyFor("GET", "/v2", false).access, Access::kInfer);
  EXPECT_EQ(PolicyFor("POST", "/some/new/route", false).access, Access::kInfer);
  EXPECT_TRUE(PolicyFor("GET", "/v1/models/{model}", false).openai_errors);
  EXPECT_FALSE(PolicyFor("POST", "/v1/models/{model}:predict", false).openai_errors);
}

}  // namespace
}  // namespace inferd
