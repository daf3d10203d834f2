#include "server/routes.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/testing/every_api.h"

namespace inferd {
namespace {

// Every API of the server, as server.cc wires them; no handler runs here,
// the tests look only at which route a request reaches.
class ServerRoutesTest : public ::testing::Test {
 protected:
  ServerRoutesTest() { AddServerRoutes(routes_, apis_.Pointers()); }

  // The pattern `method path` reaches, or "status N" (and the Allow list)
  // when it reaches none.
  std::string Reach(std::string method, std::string path) {
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    RouteTable::Match match = routes_.Find(request);
    if (match.status != 200) {
      return "status " + std::to_string(match.status) +
             (match.allow.empty() ? "" : " allow " + match.allow);
    }
    return match.pattern;
  }

  testing::EveryApi apis_;
  RouteTable routes_;
};

TEST_F(ServerRoutesTest, EveryRouteOfTheReadmeReachesItsPattern) {
  struct Case {
    const char* method;
    const char* path;
    const char* pattern;
  };
  const Case cases[] = {
      {"GET", "/v2/health/live", "/v2/health/live"},
      {"GET", "/v2/health/ready", "/v2/health/ready"},
      {"GET", "/v2", "/v2"},
      {"GET", "/v2/models/m", "/v2/models/{model}"},
      {"GET", "/v2/models/m/versions/2", "/v2/models/{model}/versions/{version}"},
      {"GET", "/v2/models/m/ready", "/v2/models/{model}/ready"},
      {"GET", "/v2/models/m/versions/2/ready", "/v2/models/{model}/versions/{version}/ready"},
      {"GET", "/v2/models/m/config", "/v2/models/{model}/config"},
      {"GET", "/v2/models/m/versions/2/config", "/v2/models/{model}/versions/{version}/config"},
      {"POST", "/v2/models/m/infer", "/v2/models/{model}/infer"},
      {"POST", "/v2/models/m/versions/2/infer", "/v2/models/{model}/versions/{version}/infer"},
      {"POST", "/v1/embeddings", "/v1/embeddings"},
      {"POST", "/api/generate", "/api/generate"},
      {"POST", "/api/chat", "/api/chat"},
      {"POST", "/api/embed", "/api/embed"},
      {"POST", "/api/embeddings", "/api/embeddings"},
      {"GET", "/api/tags", "/api/tags"},
      {"POST", "/api/show", "/api/show"},
      {"GET", "/api/ps", "/api/ps"},
      {"GET", "/api/version", "/api/version"},
      {"POST", "/api/pull", "/api/pull"},
      {"POST", "/v1/models/m:predict", "/v1/models/{model}:predict"},
      {"POST", "/v1/models/m/versions/2:predict", "/v1/models/{model}/versions/{version}:predict"},
      {"POST", "/v1/jobs", "/v1/jobs"},
      {"GET", "/v1/jobs", "/v1/jobs"},
      {"GET", "/v1/jobs/j", "/v1/jobs/{id}"},
      {"GET", "/v1/jobs/j/result", "/v1/jobs/{id}/result"},
      {"GET", "/v1/jobs/j/events", "/v1/jobs/{id}/events"},
      {"DELETE", "/v1/jobs/j", "/v1/jobs/{id}"},
      {"POST", "/v2/repository/index", "/v2/repository/index"},
      {"POST", "/v2/repository/models/m/load", "/v2/repository/models/{model}/load"},
      {"POST", "/v2/repository/models/m/unload", "/v2/repository/models/{model}/unload"},
      {"GET", "/health", "/health"},
      {"GET", "/metrics", "/metrics"},
      {"GET", "/v2/models/stats", "/v2/models/stats"},
      {"GET", "/v2/models/m/stats", "/v2/models/{model}/stats"},
      {"GET", "/v2/models/m/versions/2/stats", "/v2/models/{model}/versions/{version}/stats"},
      {"GET", "/v2/systemsharedmemory/status", "/v2/systemsharedmemory/status"},
      {"GET", "/v2/systemsharedmemory/region/r/status",
       "/v2/systemsharedmemory/region/{region}/status"},
      {"POST", "/v2/systemsharedmemory/region/r/register",
       "/v2/systemsharedmemory/region/{region}/register"},
      {"POST", "/v2/systemsharedmemory/unregister", "/v2/systemsharedmemory/unregister"},
      {"POST", "/v2/systemsharedmemory/region/r/unregister",
       "/v2/systemsharedmemory/region/{region}/unregister"},
      {"POST", "/v2/cudasharedmemory/region/r/register",
       "/v2/cudasharedmemory/region/{region}/register"},
      {"GET", "/v2/logging", "/v2/logging"},
      {"POST", "/v2/logging", "/v2/logging"},
      {"GET", "/v2/trace/setting", "/v2/trace/setting"},
      {"POST", "/v2/trace/setting", "/v2/trace/setting"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Reach(c.method, c.path), c.pattern) << c.method << " " << c.path;
  }
}

TEST_F(ServerRoutesTest, ModelNamedLikeALiteralStillReachesTheModelRoutes) {
  EXPECT_EQ(Reach("GET", "/v2/models/stats/ready"), "/v2/models/{model}/ready");
  EXPECT_EQ(Reach("POST", "/v2/models/stats/infer"), "/v2/models/{model}/infer");
  EXPECT_EQ(Reach("GET", "/v2/models/stats/stats"), "/v2/models/{model}/stats");
  EXPECT_EQ(Reach("GET", "/v2/models/stats/versions/1"), "/v2/models/{model}/versions/{version}");
}

TEST_F(ServerRoutesTest, WrongMethodIs405NamingEachAllowedMethodOnce) {
  EXPECT_EQ(Reach("GET", "/v2/models/m/infer"), "status 405 allow POST");
  EXPECT_EQ(Reach("POST", "/v2/models/stats"), "status 405 allow GET");
  EXPECT_EQ(Reach("DELETE", "/v1/jobs"), "status 405 allow GET, POST");
  EXPECT_EQ(Reach("POST", "/v1/jobs/j"), "status 405 allow DELETE, GET");
  EXPECT_EQ(Reach("GET", "/v2/repository/index"), "status 405 allow POST");
  EXPECT_EQ(Reach("PUT", "/v1/models/m:predict"), "status 405 allow GET, POST");
  // GET is OpenAI's model lookup: a model name may hold a colon (Ollama's
  // name:tag), so "m:predict" is looked up as a model, and is 404 there.
  EXPECT_EQ(Reach("GET", "/v1/models/m:predict"), "/v1/models/{model}");
  EXPECT_EQ(Reach("GET", "/api/chat"), "status 405 allow POST");
  EXPECT_EQ(Reach("POST", "/api/tags"), "status 405 allow GET");
}

TEST_F(ServerRoutesTest, UnknownPathsAre404) {
  EXPECT_EQ(Reach("GET", "/v2/health"), "status 404");
  EXPECT_EQ(Reach("POST", "/v1/models/m/explain"), "status 404");
  EXPECT_EQ(Reach("GET", "/v1/jobs/j/other"), "status 404");
}

TEST_F(ServerRoutesTest, JobRoutesAnswerThroughTheJobsApi) {
  // The unavailable JobsApi answers 503 with its reason on every job route,
  // which shows each line calls the JobsApi handler.
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/v1/jobs"}, {"GET", "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA/result"}}) {
    HttpRequest request;
    request.method = method;
    request.path = path;
    RouteTable::Match match = routes_.Find(request);
    ASSERT_NE(match.handler, nullptr) << path;
    HttpResponse response;
    (*match.handler)(std::move(request), [&](HttpResponse r) { response = std::move(r); });
    EXPECT_EQ(response.status, 503) << path;
    EXPECT_NE(response.body.find("no store in this test"), std::string::npos) << path;
  }
}

TEST_F(ServerRoutesTest, OllamaVersionAnswersTheServerVersion) {
  apis_.context.server_version = "1.2.3";
  HttpRequest request;
  request.method = "GET";
  request.path = "/api/version";
  RouteTable::Match match = routes_.Find(request);
  ASSERT_NE(match.handler, nullptr);
  HttpResponse response;
  (*match.handler)(std::move(request), [&](HttpResponse r) { response = std::move(r); });
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"version":"1.2.3"})");
}

TEST(ServerRoutesWithoutApisTest, ANullApiLeavesItsRoutesOut) {
  ApiContext context;
  HealthApi health(&context);
  RouteTable routes;
  AddServerRoutes(routes, {.health = &health});
  HttpRequest request;
  request.method = "GET";
  request.path = "/v2/health/live";
  EXPECT_EQ(routes.Find(request).status, 200);
  request.path = "/health";
  EXPECT_EQ(routes.Find(request).status, 200);
  request.path = "/metrics";
  EXPECT_EQ(routes.Find(request).status, 404);
  request.path = "/v2/models/m";
  EXPECT_EQ(routes.Find(request).status, 404);
}

}  // namespace
}  // namespace inferd
