#include "http/cors.h"

#include <optional>

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

HttpRequest Preflight(std::string origin) {
  HttpRequest request;
  request.method = "OPTIONS";
  request.path = "/v2/models/simple/infer";
  request.headers = {{"origin", std::move(origin)},
                     {"access-control-request-method", "POST"},
                     {"access-control-request-headers", "authorization, content-type"}};
  return request;
}

TEST(CorsPolicyTest, OffByDefaultAddsNothing) {
  CorsPolicy off;
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(off.IsPreflight(Preflight("https://app.example.com")));
  HttpResponse response;
  off.Decorate("https://app.example.com", response);
  EXPECT_TRUE(response.headers.empty());
}

TEST(CorsPolicyTest, AllowedOriginGetsItsPreflightAnswered) {
  auto policy = CorsPolicy::Create({"https://app.example.com", "http://localhost:3000"});
  ASSERT_TRUE(policy.ok()) << policy.status();
  HttpRequest request = Preflight("http://localhost:3000");
  ASSERT_TRUE(policy->IsPreflight(request));
  HttpResponse response = policy->Preflight(request);
  EXPECT_EQ(response.status, 204);
  EXPECT_EQ(Header(response, "Access-Control-Allow-Origin"), "http://localhost:3000");
  EXPECT_THAT(*Header(response, "Access-Control-Allow-Methods"), HasSubstr("POST"));
  EXPECT_THAT(*Header(response, "Access-Control-Allow-Headers"), HasSubstr("Authorization"));
  EXPECT_THAT(*Header(response, "Access-Control-Allow-Headers"), HasSubstr("Content-Type"));
  EXPECT_EQ(Header(response, "Vary"), "Origin");
}

TEST(CorsPolicyTest, OtherOriginsAreRefusedAndUndecorated) {
  auto policy = CorsPolicy::Create({"https://app.example.com"});
  ASSERT_TRUE(policy.ok());
  HttpResponse refused = policy->Preflight(Preflight("https://evil.example.com"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("evil.example.com"));
  HttpResponse response;
  policy->Decorate("https://evil.example.com", response);
  policy->Decorate("", response);
  EXPECT_TRUE(response.headers.empty());
  policy->Decorate("HTTPS://APP.example.com", response);
  EXPECT_EQ(Header(response, "Access-Control-Allow-Origin"), "HTTPS://APP.example.com");
  EXPECT_THAT(*Header(response, "Access-Control-Expose-Headers"), HasSubstr("RateLimit-Remaining"));
}

TEST(CorsPolicyTest, StarAllowsAnyOriginWithoutVary) {
  auto policy = CorsPolicy::Create({"*"});
  ASSERT_TRUE(policy.ok());
  HttpResponse response;
  policy->Decorate("https://anything.example", response);
  EXPECT_EQ(Header(response, "Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(Header(response, "Vary").has_value());
}

TEST(CorsPolicyTest, OnlyOptionsWithBothHeadersIsAPreflight) {
  auto policy = CorsPolicy::Create({"*"});
  ASSERT_TRUE(policy.ok());
  HttpRequest request = Preflight("https://a.example");
  request.method = "POST";
  EXPECT_FALSE(policy->IsPreflight(request));
  request = Preflight("https://a.example");
  request.headers.pop_back();
  request.headers.pop_back();  // no Access-Control-Request-Method
  EXPECT_FALSE(policy->IsPreflight(request));
}

TEST(CorsPolicyTest, MalformedOriginsAreRefusedNamingThem) {
  for (const char* bad : {"app.example.com", "https://", "https://a.example/path", "ftp://a.example",
                          "https://*.example.com"}) {
    auto policy = CorsPolicy::Create({bad});
    ASSERT_FALSE(policy.ok()) << bad;
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(bad));
  }
}

}  // namespace
}  // namespace inferd
