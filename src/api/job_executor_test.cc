#include "api/job_executor.h"

#include "api/v2_model_api.h"
#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::inferd::testing::FakeBackend;
using ::inferd::testing::SimpleModelConfig;
using ::inferd::testing::TempModelRepository;
using ::testing::HasSubstr;
using Kind = jobs::JobOutcome::Kind;

std::string SimpleBody(int value) {
  std::string data = "[";
  for (int i = 0; i < 16; ++i) data += (i ? "," : "") + std::to_string(value);
  data += "]";
  return R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":)" + data +
         R"(},{"name":"INPUT1","datatype":"INT32","shape":[1,16],"data":)" + data + "}]}";
}

jobs::Job InferJob(std::string model, std::string body) {
  jobs::Job job;
  job.id = "job1";
  job.request.model = std::move(model);
  job.request.route = "infer";
  job.request.input.content_type = "application/json";
  job.request.input.body = std::move(body);
  return job;
}

// A repository of fake models (no sockets, no libtorch) and the executor
// over it, wired as the server wires them.
class JobExecutorTest : public ::testing::Test {
 protected:
  JobExecutorTest() {
    backends_.Register({"fake"}, std::make_shared<FakeBackend>());
    backends_.Register(
        {"failing"},
        std::make_shared<FakeBackend>(
            [](const std::vector<Tensor>&) -> absl::StatusOr<std::vector<Tensor>> {
              return absl::InternalError("the model threw: boom");
            }));
    repo_.AddModel("simple", SimpleModelConfig("simple"), {1});
    std::string failing = SimpleModelConfig("failing");
    failing.replace(failing.find("backend: \"fake\""), 15, "backend: \"failing\"");
    repo_.AddModel("failing", failing, {1});
    repo_.AddModel("idle", SimpleModelConfig("idle"), {1});  // never loaded
    repository_ = *ModelRepository::Create(
        {repo_.root(), ModelControlMode::kExplicit, {"simple", "failing"}, &backends_});
    repository_->LoadStartupModels();
    service_ = std::make_unique<InferenceService>(
        InferenceService::Options{repository_.get(), &pool_});
    context_.repository = repository_.get();
    context_.service = service_.get();
    context_.codec_pool = &pool_;
  }

  TempModelRepository repo_;
  BackendRegistry backends_;
  ThreadPool pool_{2};
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<InferenceService> service_;
  ApiContext context_;
  JobExecutor executor_{&context_, {}};
  jobs::JobCancellation cancel_;
};

TEST_F(JobExecutorTest, ResultIsTheRoutesAnswerByteForByte) {
  const std::string body = SimpleBody(3);
  jobs::JobOutcome outcome = executor_.Execute(InferJob("simple", body), cancel_);
  ASSERT_EQ(outcome.kind, Kind::kSucceeded) << outcome.error;
  absl::StatusOr<InferCall> call =
      DecodeInferCall(*service_, "simple", "", std::nullopt, body);
  ASSERT_TRUE(call.ok()) << call.status();
  absl::Notification done;
  HttpResponse sync;
  service_->Infer(*std::move(call), nullptr, [&](absl::StatusOr<InferenceResponse> result) {
    sync = InferResponse(std::move(result));
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_EQ(outcome.result.body, sync.body);
  EXPECT_EQ(outcome.result.http_status, 200);
  EXPECT_EQ(json::parse(outcome.result.body).at("outputs").at(0).at("data").at(0), 6);
}

TEST_F(JobExecutorTest, ValidateRefusesWhatTheRouteRefusesWithItsStatus) {
  struct Case {
    std::string model, body;
    absl::StatusCode code;
    const char* mentions;
  };
  for (const Case& c : std::vector<Case>{
           {"simple", "{not json", absl::StatusCode::kInvalidArgument, "JSON"},
           {"simple", R"({"inputs": 7})", absl::StatusCode::kInvalidArgument, "inputs"},
           {"nope", SimpleBody(1), absl::StatusCode::kNotFound, "nope"},
           {"simple",
            R"({"inputs":[{"name":"INPUT9","datatype":"INT32","shape":[1],"data":[1]}]})",
            absl::StatusCode::kInvalidArgument, "INPUT9"},
       }) {
    absl::Status status = executor_.Validate(InferJob(c.model, c.body).request);
    EXPECT_EQ(status.code(), c.code) << c.body << ": " << status;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.mentions)) << c.body;
  }
  jobs::JobRequest predict = InferJob("simple", R"({"instances": ["a"]})").request;
  predict.route = "predict";
  EXPECT_THAT(std::string(executor_.Validate(predict).message()), HasSubstr("declares no task"));
  jobs::JobRequest unknown = InferJob("simple", SimpleBody(1)).request;
  unknown.route = "explain";
  EXPECT_TRUE(absl::IsInvalidArgument(executor_.Validate(unknown)));
}

TEST_F(JobExecutorTest, AModelThatIsNotLoadedIsAcceptedAndRetried) {
  // "idle" has a folder but is not loaded (explicit mode): it may be loaded
  // before the job runs, so the job is accepted and its attempt retried.
  const jobs::Job job = InferJob("idle", SimpleBody(1));
  EXPECT_TRUE(executor_.Validate(job.request).ok());
  jobs::JobOutcome outcome = executor_.Execute(job, cancel_);
  EXPECT_EQ(outcome.kind, Kind::kRetryableFailure);
  EXPECT_THAT(outcome.error, HasSubstr("503: "));
}

TEST_F(JobExecutorTest, AModelFailureFailsAtOnceWithTheRoutesError) {
  jobs::JobOutcome outcome = executor_.Execute(InferJob("failing", SimpleBody(1)), cancel_);
  EXPECT_EQ(outcome.kind, Kind::kPermanentFailure);
  EXPECT_THAT(outcome.error, HasSubstr("the model threw: boom"));
  EXPECT_EQ(outcome.result.http_status, 500);
  EXPECT_THAT(outcome.result.body, HasSubstr("boom"));
}

}  // namespace
}  // namespace inferd
