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

// A store that keeps GetAsync's and SubmitAsync's callbacks for the test to
// run later, as the Redis store runs them on its own thread; nothing else
// is used.
class DeferringStore : public jobs::JobStore {
 public:
  std::vector<GetCallback> gets;

  bool async_reads() const override { return true; }
  void GetAsync(std::string_view id, GetCallback done) override {
    gets.push_back(std::move(done));
  }
  void SubmitAsync(jobs::JobSpec spec, SubmitCallback done) override {
    done(Unused());
  }
  absl::StatusOr<jobs::Job> Get(std::string_view id) override { return Unused(); }
  absl::StatusOr<jobs::ListPage> List(const jobs::ListQuery& query) override {
    return Unused();
  }
  absl::StatusOr<jobs::CancelResult> Cancel(std::string_view id) override { return Unused(); }
  absl::StatusOr<std::optional<jobs::Job>> ClaimNext(std::string_view worker) override {
    return Unused();
  }
  absl::Status RenewLease(std::string_view id, int attempt) override { return Unused(); }
  absl::StatusOr<jobs::Job> Finish(std::string_view id, int attempt,
                                   const jobs::JobOutcome& outcome) override {
    return Unused();
  }
  absl::StatusOr<int> RecoverAfterCrash() override { return Unused(); }
  absl::StatusOr<int> RequeueExpiredLeases() override { return Unused(); }
  absl::StatusOr<int> PurgeExpired() override { return Unused(); }
  absl::StatusOr<std::vector<jobs::Job>> DueWebhooks(int limit) override { return Unused(); }
  absl::Status RecordWebhookAttempt(std::string_view id, const absl::Status& delivery,
                                    absl::Time next_attempt) override {
    return Unused();
  }
  absl::StatusOr<jobs::JobCounts> Counts() override { return Unused(); }

 private:
  static absl::Status Unused() { return absl::UnimplementedError("not used by this test"); }
};

// A read whose answer arrives after the JobsApi is gone (the store outlives
// it, and the Redis store calls back from its own thread) answers 503
// instead of touching the destroyed object; one that arrives before is
// answered as usual.
TEST(JobsApiTest, StoreAnswersAfterTheApiIsGoneGet503) {
  ApiContext context;
  DeferringStore store;
  auto api = std::make_unique<JobsApi>(&context, &store, nullptr, JobExecutor::Options{}, nullptr);
  RouteTable routes;
  AddServerRoutes(routes, {.jobs = api.get()});
  std::vector<HttpResponse> answers;
  for (int i = 0; i < 2; ++i) {
    HttpRequest request;
    request.method = "GET";
    request.path = "/v1/jobs/AAAAAAAAAAAAAAAAAAAAAA";
    RouteTable::Match match = routes.Find(request);
    ASSERT_NE(match.handler, nullptr);
    (*match.handler)(std::move(request),
                     [&](HttpResponse response) { answers.push_back(std::move(response)); });
  }
  ASSERT_EQ(store.gets.size(), 2u);
  EXPECT_TRUE(answers.empty());

  store.gets[0](absl::NotFoundError("no job AAAAAAAAAAAAAAAAAAAAAA"));
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].status, 404);

  api.reset();
  store.gets[1](absl::NotFoundError("no job AAAAAAAAAAAAAAAAAAAAAA"));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1].status, 503);
  EXPECT_THAT(std::string(json::parse(answers[1].body).at("error").as_string()),
              HasSubstr("shutting down"));
}

}  // namespace
}  // namespace inferd
