#include "api/job_outcome.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

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
  jobs::JobOutcome outcome = JobOutcomeOf(response, false);
  EXPECT_EQ(outcome.kind, Kind::kSucceeded);
  EXPECT_EQ(outcome.result.http_status, 200);
  EXPECT_EQ(outcome.result.body, R"({"outputs":[]})");
  // Only the body-describing header is kept.
  EXPECT_EQ(outcome.result.headers,
            (jobs::HeaderList{{"Inference-Header-Content-Length", "14"}}));
}

TEST(JobOutcomeTest, ClientErrorsFailAtOnceWithTheRouteAnswer) {
  for (int status : {400, 401, 403, 404, 409, 413, 422}) {
    jobs::JobOutcome outcome =
        JobOutcomeOf(Answer(status, R"({"error":"input \"INPUT0\": bad shape"})"), false);
    EXPECT_EQ(outcome.kind, Kind::kPermanentFailure) << status;
    EXPECT_EQ(outcome.error, std::to_string(status) + (": input \"INPUT0\": bad shape"));
    EXPECT_EQ(outcome.result.http_status, status);
  }
}

TEST(JobOutcomeTest, OverloadTimeoutsAndServerErrorsAreRetried) {
  for (int status : {429, 499, 500, 502, 503, 504}) {
    jobs::JobOutcome outcome = JobOutcomeOf(Answer(status, R"({"error":"busy"})"), false);
    EXPECT_EQ(outcome.kind, Kind::kRetryableFailure) << status;
    EXPECT_THAT(outcome.error, HasSubstr("busy"));
  }
}

TEST(JobOutcomeTest, CancelledByTheClientIsACancellation) {
  EXPECT_EQ(JobOutcomeOf(Answer(499, R"({"error":"cancelled"})"), true).kind,
            Kind::kCancelled);
}

TEST(JobOutcomeTest, OpenAiErrorShapeAndNonJsonBodiesAreNamed) {
  EXPECT_EQ(JobOutcomeOf(Answer(400, R"({"error":{"message":"bad \"input\""}})"), false).error,
            "400: bad \"input\"");
  EXPECT_EQ(JobOutcomeOf(Answer(400, "not json"), false).error, "400: HTTP 400");
}

TEST(JobOutcomeTest, AnExceptionIsAPermanentFailureNamingIt) {
  jobs::JobOutcome outcome = JobOutcomeOfException("std::bad_alloc");
  EXPECT_EQ(outcome.kind, Kind::kPermanentFailure);
  EXPECT_THAT(outcome.error, HasSubstr("std::bad_alloc"));
}

}  // namespace
}  // namespace inferd
