#include "api/status_http.h"

#include "gtest/gtest.h"

namespace inferd {
namespace {

TEST(StatusHttpTest, MapsStatusCodesAsDesignSays) {
  EXPECT_EQ(HttpStatusFor(absl::OkStatus()), 200);
  EXPECT_EQ(HttpStatusFor(absl::InvalidArgumentError("x")), 400);
  EXPECT_EQ(HttpStatusFor(absl::NotFoundError("x")), 404);
  EXPECT_EQ(HttpStatusFor(absl::FailedPreconditionError("x")), 409);
  EXPECT_EQ(HttpStatusFor(absl::AlreadyExistsError("x")), 409);
  EXPECT_EQ(HttpStatusFor(absl::OutOfRangeError("x")), 413);
  EXPECT_EQ(HttpStatusFor(absl::UnavailableError("x")), 503);
  EXPECT_EQ(HttpStatusFor(absl::ResourceExhaustedError("x")), 503);
  EXPECT_EQ(HttpStatusFor(absl::DeadlineExceededError("x")), 504);
  EXPECT_EQ(HttpStatusFor(absl::InternalError("x")), 500);
  EXPECT_EQ(HttpStatusFor(absl::UnknownError("x")), 500);
}

TEST(StatusHttpTest, ErrorResponseCarriesTheMessageAsJson) {
  HttpResponse response = ErrorResponse(absl::NotFoundError("unknown model \"m\""));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"error":"unknown model \"m\""})");
  EXPECT_TRUE(response.headers.empty());
}

TEST(StatusHttpTest, UnavailableAsksTheClientToRetry) {
  HttpResponse response = ErrorResponse(absl::UnavailableError("loading"));
  EXPECT_EQ(response.status, 503);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "Retry-After");
  EXPECT_EQ(response.headers[0].second, "1");
}

}  // namespace
}  // namespace inferd
