#include "api/health_api.h"

#include "api/jobs_api.h"
#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "api/testing/route_client.h"
#include "server/routes.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::inferd::testing::FakeBackend;
using ::inferd::testing::SimpleModelConfig;
using ::inferd::testing::TempModelRepository;
using ::testing::Contains;
using ::testing::HasSubstr;

class HealthApiTest : public ::testing::Test {
 protected:
  HealthApiTest() { backends_.Register({"fake"}, std::make_shared<FakeBackend>()); }

  // Opens the repository; loads the startup models when `load`.
  void Open(bool load = true) {
    repository_ = *ModelRepository::Create(
        {repo_.root(), ModelControlMode::kNone, {}, &backends_});
    if (load) repository_->LoadStartupModels();
    context_.repository = repository_.get();
    context_.server_version = "9.8.7";
    context_.started = absl::Now() - absl::Seconds(100);
  }

  TempModelRepository repo_;
  BackendRegistry backends_;
  std::unique_ptr<ModelRepository> repository_;
  ApiContext context_;
  HealthApi api_{&context_};
};

bool HasRetryAfter(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Retry-After") return true;
  }
  return false;
}

TEST_F(HealthApiTest, LiveIsAlwaysTrue) {
  Open(/*load=*/false);
  HttpResponse live = api_.Live();
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(json::parse(live.body), json::parse(R"({"live":true})"));
}

TEST_F(HealthApiTest, NotReadyWhileModelsAreLoading) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  Open(/*load=*/false);
  HttpResponse ready = api_.Ready();
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body, HasSubstr("models are still loading"));
  EXPECT_TRUE(HasRetryAfter(ready));
}

TEST_F(HealthApiTest, ReadyOnceEveryModelIsReady) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  Open();
  HttpResponse ready = api_.Ready();
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(json::parse(ready.body), json::parse(R"({"ready":true})"));
}

TEST_F(HealthApiTest, NotReadyWhenAModelFailedToLoad) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  repo_.AddModel("broken", "not a config", {1});
  Open();
  HttpResponse ready = api_.Ready();
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(json::parse(ready.body).at("error").as_string().c_str(),
              HasSubstr("not every model is ready"));
}

TEST_F(HealthApiTest, ServerMetadataListsTheExtensions) {
  Open();
  HttpResponse metadata = api_.ServerMetadata();
  EXPECT_EQ(metadata.status, 200);
  json::value body = json::parse(metadata.body);
  EXPECT_EQ(body.at("name"), "inferd");
  EXPECT_EQ(body.at("version"), "9.8.7");
  std::vector<std::string> extensions;
  for (const auto& e : body.at("extensions").as_array()) {
    extensions.emplace_back(e.as_string());
  }
  EXPECT_THAT(extensions, Contains("binary_tensor_data"));
  EXPECT_THAT(extensions, Contains("model_repository"));
  EXPECT_THAT(extensions, Contains("model_configuration"));
  EXPECT_THAT(extensions, Contains("classification"));
  EXPECT_THAT(extensions, Contains("system_shared_memory"));
}

TEST_F(HealthApiTest, SummaryShowsEveryModelAndItsState) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  repo_.WriteFile("broken/config.pbtxt", SimpleModelConfig("broken"));
  repo_.WriteFile("broken/2/model.fake", "corrupt");
  Open();
  HttpResponse summary = api_.Summary();
  EXPECT_EQ(summary.status, 200);
  json::value body = json::parse(summary.body);
  EXPECT_EQ(body.at("status"), "degraded");
  EXPECT_EQ(body.at("version"), "9.8.7");
  EXPECT_EQ(body.at("device"), "cpu");
  EXPECT_GE(body.at("uptime_seconds").to_number<double>(), 100.0);
  const json::array& models = body.at("models").as_array();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].at("name"), "broken");
  const json::object& broken = models[0].at("versions").as_array().at(0).as_object();
  EXPECT_EQ(broken.at("version"), "2");
  EXPECT_EQ(broken.at("state"), "UNAVAILABLE");
  EXPECT_THAT(std::string(broken.at("reason").as_string()), HasSubstr("corrupt"));
  EXPECT_EQ(models[1].at("name"), "simple");
  EXPECT_EQ(models[1].at("versions").as_array().at(0).at("state"), "READY");
}

TEST_F(HealthApiTest, SummaryStatusFollowsTheRepository) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  Open(/*load=*/false);
  EXPECT_EQ(json::parse(api_.Summary().body).at("status"), "loading");
  repository_->LoadStartupModels();
  EXPECT_EQ(json::parse(api_.Summary().body).at("status"), "ready");
}

TEST_F(HealthApiTest, SummarySaysWhetherAsyncJobsAreServed) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  Open();
  JobsApi available(&context_, nullptr, nullptr, JobExecutor::Options{}, nullptr);
  context_.jobs = &available;
  json::value body = json::parse(api_.Summary().body);
  EXPECT_EQ(body.at("status"), "ready");
  EXPECT_EQ(body.at("jobs"), json::parse(R"({"status":"available"})"));

  std::unique_ptr<JobsApi> unavailable =
      JobsApi::Unavailable(&context_, "async jobs are unavailable: job database /d/jobs.db ...");
  context_.jobs = unavailable.get();
  body = json::parse(api_.Summary().body);
  EXPECT_EQ(body.at("status"), "degraded");
  EXPECT_EQ(body.at("jobs").at("status"), "unavailable");
  EXPECT_THAT(std::string(body.at("jobs").at("reason").as_string()), HasSubstr("/d/jobs.db"));
  // Readiness is about models: synchronous inference is served.
  EXPECT_EQ(api_.Ready().status, 200);
}

TEST_F(HealthApiTest, RegisteredRoutesReachTheHandlers) {
  repo_.AddModel("simple", SimpleModelConfig(), {1});
  Open();
  RouteTable routes;
  AddServerRoutes(routes, {.health = &api_});
  auto get = [&](std::string path) {
    return inferd::testing::SendThroughRoutes(routes, "GET", std::move(path));
  };
  EXPECT_EQ(json::parse(get("/v2/health/live").body).at("live"), true);
  EXPECT_EQ(json::parse(get("/v2/health/ready").body).at("ready"), true);
  EXPECT_EQ(json::parse(get("/v2").body).at("name"), "inferd");
  EXPECT_EQ(json::parse(get("/health").body).at("status"), "ready");
  EXPECT_EQ(get("/v2/health").status, 404);
}

}  // namespace
}  // namespace inferd
