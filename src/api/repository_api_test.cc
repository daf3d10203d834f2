#include "api/repository_api.h"

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
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
using ::testing::HasSubstr;

constexpr absl::Duration kHang = absl::Seconds(20);

class RepositoryApiTest : public ::testing::Test {
 protected:
  RepositoryApiTest() {
    backends_.Register({"fake"}, std::make_shared<FakeBackend>());
    repo_.AddModel("loaded", SimpleModelConfig("loaded"), {1});
    repo_.AddModel("idle", SimpleModelConfig("idle"), {1});
    repo_.WriteFile("broken/config.pbtxt", SimpleModelConfig("broken"));
    repo_.WriteFile("broken/1/model.fake", "corrupt");
  }
  ~RepositoryApiTest() override {
    pool_.reset();  // finish queued loads before the repository goes
  }

  void Open(ModelControlMode mode = ModelControlMode::kExplicit) {
    repository_ = *ModelRepository::Create({repo_.root(), mode, {"loaded"}, &backends_});
    repository_->LoadStartupModels();
    context_.repository = repository_.get();
    context_.control_pool = pool_.get();
  }

  // Sends a POST to `path` with `body` through the registered routes and
  // waits for the one response.
  HttpResponse Post(std::string path, std::string body = "") {
    RouteTable routes;
    AddServerRoutes(routes, {.repository = &api_});
    return inferd::testing::SendThroughRoutes(routes, "POST", std::move(path), std::move(body));
  }

  TempModelRepository repo_;
  BackendRegistry backends_;
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<ThreadPool> pool_ = std::make_unique<ThreadPool>(1);
  ApiContext context_;
  RepositoryApi api_{&context_};
};

// The index entry for `name` as {state, reason, version-or-"-"}.
std::vector<std::string> Entry(const json::value& index, std::string_view name) {
  for (const json::value& e : index.as_array()) {
    if (e.at("name") != json::string_view(name.data(), name.size())) continue;
    const json::object& o = e.as_object();
    return {std::string(o.at("state").as_string()),
            std::string(o.at("reason").as_string()),
            o.contains("version") ? std::string(o.at("version").as_string()) : "-"};
  }
  return {};
}

TEST_F(RepositoryApiTest, IndexListsEveryModelWithStateAndReason) {
  Open();
  HttpResponse response = Post("/v2/repository/index");
  EXPECT_EQ(response.status, 200);
  json::value index = json::parse(response.body);
  ASSERT_EQ(index.as_array().size(), 3u);
  EXPECT_EQ(Entry(index, "loaded"), (std::vector<std::string>{"READY", "", "1"}));
  EXPECT_EQ(Entry(index, "idle"),
            (std::vector<std::string>{"UNAVAILABLE", "not loaded", "-"}));
  EXPECT_EQ(Entry(index, "broken")[0], "UNAVAILABLE");
}

TEST_F(RepositoryApiTest, IndexCanListOnlyReadyModels) {
  Open();
  json::value index = json::parse(Post("/v2/repository/index", R"({"ready":true})").body);
  ASSERT_EQ(index.as_array().size(), 1u);
  EXPECT_EQ(index.as_array()[0].at("name"), "loaded");
  json::value all = json::parse(Post("/v2/repository/index", R"({"ready":false})").body);
  EXPECT_EQ(all.as_array().size(), 3u);
}

TEST_F(RepositoryApiTest, IndexRejectsMalformedBodies) {
  Open();
  HttpResponse bad_json = Post("/v2/repository/index", "{nope");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_THAT(bad_json.body, HasSubstr("request body is not valid JSON"));
  HttpResponse not_object = Post("/v2/repository/index", "[]");
  EXPECT_EQ(not_object.status, 400);
  EXPECT_THAT(not_object.body, HasSubstr("must be a JSON object"));
  HttpResponse bad_ready = Post("/v2/repository/index", R"({"ready":"yes"})");
  EXPECT_EQ(bad_ready.status, 400);
  EXPECT_THAT(bad_ready.body, HasSubstr("\\\"ready\\\" must be true or false"));
}

TEST_F(RepositoryApiTest, LoadMakesAModelReady) {
  Open();
  EXPECT_FALSE(repository_->Get("idle", "").ok());
  HttpResponse response = Post("/v2/repository/models/idle/load");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
  absl::StatusOr<ModelHandle> idle = repository_->Get("idle", "");
  ASSERT_TRUE(idle.ok()) << idle.status();
  EXPECT_EQ((*idle)->name(), "idle");
}

TEST_F(RepositoryApiTest, LoadParametersAreCheckedByName) {
  Open();
  EXPECT_EQ(Post("/v2/repository/models/idle/load", R"({"parameters":{}})").status, 200);
  const std::pair<std::string, std::string> bad[] = {
      {R"({"parameters":{"other":1}})", "load parameter \\\"other\\\" is not supported"},
      {R"({"parameters":[]})", "must be an object"},
      {R"({"parameters":{"config":5}})", "must be a string"},
      {R"({"parameters":{"config":"not json"}})", "is not a valid model config"},
      {R"({"parameters":{"file:1/model.fake":"AAAA"}})", "need \\\"config\\\""},
      {R"({"parameters":{"file:1/model.fake":"!!!"}})", "in base64"},
  };
  for (const auto& [body, mention] : bad) {
    HttpResponse response = Post("/v2/repository/models/idle/load", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_THAT(response.body, HasSubstr(mention)) << body;
  }
}

TEST_F(RepositoryApiTest, LoadErrorsMapToStatusCodes) {
  Open();
  HttpResponse unknown = Post("/v2/repository/models/ghost/load");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr("ghost"));
  HttpResponse broken = Post("/v2/repository/models/broken/load");
  EXPECT_EQ(broken.status, 400);
  EXPECT_THAT(broken.body, HasSubstr("model.fake is corrupt"));
  EXPECT_EQ(Post("/v2/repository/models/idle/load", "{bad").status, 400);
}

TEST_F(RepositoryApiTest, InvalidModelNamesAre400AndRecordNothing) {
  Open();
  // What the HTTP server hands over for /v2/repository/models/loaded%00x1/load.
  const std::string with_nul("loaded\0x1", 9);
  for (const char* action : {"load", "unload"}) {
    SCOPED_TRACE(action);
    HttpResponse response =
        Post("/v2/repository/models/" + with_nul + "/" + action);
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(json::parse(response.body).at("error"),
              "model name \"loaded\\000x1\" must not contain NUL or other control "
              "characters");
    EXPECT_EQ(Post("/v2/repository/models/../" + std::string(action)).status, 400);
    EXPECT_EQ(Post("/v2/repository/models/.hidden/" + std::string(action)).status, 400);
  }
  // Nothing entered the index; the server is as ready as before.
  json::value index = json::parse(Post("/v2/repository/index").body);
  EXPECT_EQ(index.as_array().size(), 3u);
  EXPECT_EQ(Entry(index, "loaded"), (std::vector<std::string>{"READY", "", "1"}));
  EXPECT_TRUE(repository_->AllReady());
  // A valid name with no folder: 404 and, again, no entry.
  EXPECT_EQ(Post("/v2/repository/models/ghost/load").status, 404);
  EXPECT_EQ(json::parse(Post("/v2/repository/index").body).as_array().size(), 3u);
}

TEST_F(RepositoryApiTest, IndexShowsWhyAReloadFailedWhileTheOldVersionServes) {
  Open();
  repo_.Remove("loaded/1/model.fake");
  HttpResponse reload = Post("/v2/repository/models/loaded/load");
  EXPECT_EQ(reload.status, 400);
  EXPECT_THAT(reload.body, HasSubstr("model.fake is missing"));
  json::value index = json::parse(Post("/v2/repository/index").body);
  EXPECT_EQ(Entry(index, "loaded"),
            (std::vector<std::string>{
                "READY",
                "reload failed, still serving the version loaded before: model file " +
                    repo_.root() + "/loaded/1/model.fake is missing",
                "1"}));
  EXPECT_TRUE(repository_->Get("loaded", "").ok());
}

TEST_F(RepositoryApiTest, ControlModeNoneRefusesLoadAndUnloadWith409) {
  Open(ModelControlMode::kNone);
  HttpResponse load = Post("/v2/repository/models/idle/load");
  EXPECT_EQ(load.status, 409);
  EXPECT_THAT(load.body, HasSubstr("--model-control-mode explicit"));
  EXPECT_EQ(Post("/v2/repository/models/loaded/unload").status, 409);
  EXPECT_TRUE(repository_->Get("loaded", "").ok());
}

TEST_F(RepositoryApiTest, UnloadMakesAModelUnavailable) {
  Open();
  HttpResponse response = Post("/v2/repository/models/loaded/unload");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
  EXPECT_EQ(repository_->Get("loaded", "").status().code(),
            absl::StatusCode::kUnavailable);
  json::value index = json::parse(Post("/v2/repository/index").body);
  EXPECT_EQ(Entry(index, "loaded"),
            (std::vector<std::string>{"UNAVAILABLE", "unloaded", "1"}));
  EXPECT_EQ(Post("/v2/repository/models/ghost/unload").status, 404);
}

TEST_F(RepositoryApiTest, OtherMethodsAre405) {
  Open();
  RouteTable routes;
  AddServerRoutes(routes, {.repository = &api_});
  HttpRequest request;
  request.method = "GET";
  request.path = "/v2/repository/models/idle/load";
  RouteTable::Match match = routes.Find(request);
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.allow, "POST");
}

}  // namespace
}  // namespace inferd
