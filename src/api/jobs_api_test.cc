#include "api/jobs_api.h"

#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "api/testing/route_client.h"
#include "server/routes.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

constexpr char kReason[] =
    "async jobs are unavailable: job database /data/jobs.db is damaged or is not an SQLite "
    "database (...). Move it away ...";

HttpResponse Call(const RouteTable& routes, std::string method, std::string path) {
  return inferd::testing::SendThroughRoutes(routes, std::move(method), std::move(path));
}

TEST(JobsApiTest, UnavailableStoreAnswersEveryJobRouteWith503AndTheReason) {
  ApiContext context;
  std::unique_ptr<JobsApi> api = JobsApi::Unavailable(&context, kReason);
  EXPECT_EQ(api->unavailable_reason(), kReason);
  RouteTable routes;
  AddServerRoutes(routes, {.jobs = api.get()});
  const std::pair<const char*, const char*> calls[] = {
      {"POST", "/v1/jobs"},
      {"GET", "/v1/jobs"},
      {"GET", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA"},
      {"GET", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA/result"},
      {"GET", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA/events"},
      {"DELETE", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA"},
  };
  for (const auto& [method, path] : calls) {
    HttpResponse response = Call(routes, method, path);
    EXPECT_EQ(response.status, 503) << method << " " << path;
    EXPECT_EQ(json::parse(response.body).at("error"), kReason) << method << " " << path;
  }
}

TEST(JobsApiTest, UnavailableStoreRefusesRespondAsyncButNotSynchronousRequests) {
  ApiContext context;
  std::unique_ptr<JobsApi> api = JobsApi::Unavailable(&context, kReason);
  HttpRequest sync;
  sync.method = "POST";
  bool answered = false;
  Responder respond = [&](HttpResponse) { answered = true; };
  EXPECT_FALSE(api->MaybeSubmit("infer", sync, respond));
  EXPECT_FALSE(answered);

  HttpRequest async = sync;
  async.headers.emplace_back("prefer", "respond-async");
  HttpResponse response;
  Responder capture = [&](HttpResponse r) { response = std::move(r); };
  EXPECT_TRUE(api->MaybeSubmit("infer", async, capture));
  EXPECT_EQ(response.status, 503);
  EXPECT_THAT(std::string(json::parse(response.body).at("error").as_string()),
              HasSubstr("/data/jobs.db"));
}

}  // namespace
}  // namespace inferd
