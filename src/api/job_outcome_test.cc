#include "api/job_outcome.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "api/status_http.h"
#include "boost/json.hpp"

namespace inferd {
namespace {

using ::testing::HasSubstr;
using Kind = jobs::JobOutcome::Kind;

HttpResponse Answer(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

TEST(JobOutcomeTest, SuccessKeepsTheRouteAnswer) {
  HttpResponse response = Answer(200, R"({"outputs":[]})");
  response.headers = {{"Inference-Header-Content-Length", "14"}, {"X-Cache", "miss"}};
  jobs::JobOutcome outcome = JobOutcomeOf(response);
  EXPECT_EQ(outcome.kind, Kind::kSucceeded);
  EXPECT_EQ(outcome.result.http_status, 200);
  EXPECT_EQ(outcome.result.body, R"({"outputs":[]})");
  // Only the body-describing header is kept.
  EXPECT_EQ(outcome.result.headers,
            (jobs::HeaderList{{"Inference-Header-Content-Length", "14"}}));
}

TEST(JobOutcomeTest, AnErrorAnswerOfTheRouteFailsAtOnceAndIsKept) {
  jobs::JobOutcome outcome =
      JobOutcomeOf(Answer(400, R"({"predictions":[],"error":"every instance failed"})"));
  EXPECT_EQ(outcome.kind, Kind::kPermanentFailure);
  EXPECT_EQ(outcome.error, "400: every instance failed");
  EXPECT_EQ(outcome.result.http_status, 400);
  EXPECT_EQ(JobOutcomeOf(Answer(400, "not json")).error, "400: HTTP 400");
}

TEST(JobOutcomeTest, TransientCodesAreRetried) {
  for (const absl::Status& status :
       {absl::UnavailableError("model \"m\" is still loading"),
        absl::ResourceExhaustedError("queue full"), absl::DeadlineExceededError("queue timeout"),
        absl::AbortedError("unloading")}) {
    EXPECT_TRUE(IsRetryableStatus(status)) << status;
    jobs::JobOutcome outcome = JobOutcomeOfStatus(status);
    EXPECT_EQ(outcome.kind, Kind::kRetryableFailure) << status;
    EXPECT_THAT(outcome.error, HasSubstr(status.message())) << status;
  }
  EXPECT_EQ(JobOutcomeOfStatus(absl::UnavailableError("loading")).error, "503: loading");
}

TEST(JobOutcomeTest, EveryOtherCodeFailsAtOnceWithTheRouteErrorAsResult) {
  for (const absl::Status& status :
       {absl::InvalidArgumentError("input \"INPUT0\": bad shape"),
        absl::NotFoundError("unknown model \"m\""), absl::InternalError("model execution failed"),
        absl::OutOfRangeError("too many instances"), absl::CancelledError("cancelled")}) {
    EXPECT_FALSE(IsRetryableStatus(status)) << status;
    jobs::JobOutcome outcome = JobOutcomeOfStatus(status);
    EXPECT_EQ(outcome.kind, Kind::kPermanentFailure) << status;
    EXPECT_EQ(outcome.result.http_status, HttpStatusFor(status)) << status;
    EXPECT_EQ(std::string(boost::json::parse(outcome.result.body).at("error").as_string()),
              std::string(status.message()))
        << status;
  }
  EXPECT_EQ(JobOutcomeOfStatus(absl::InvalidArgumentError("bad")).error, "400: bad");
}

TEST(JobOutcomeTest, AnExceptionIsAPermanentFailureNamingIt) {
  jobs::JobOutcome outcome = JobOutcomeOfException("std::bad_alloc");
  EXPECT_EQ(outcome.kind, Kind::kPermanentFailure);
  EXPECT_THAT(outcome.error, HasSubstr("std::bad_alloc"));
}

}  // namespace
}  // namespace inferd
