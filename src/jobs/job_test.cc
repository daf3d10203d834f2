#include "jobs/job.h"

#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jobs/job_fingerprint.h"

namespace inferd::jobs {
namespace {

TEST(JobTest, StatusNamesRoundTrip) {
  for (int i = 0; i < kJobStatusCount; ++i) {
    JobStatus status = static_cast<JobStatus>(i);
    EXPECT_EQ(JobStatusFromName(JobStatusName(status)), status);
  }
  EXPECT_EQ(JobStatusName(JobStatus::kCancelled), "cancelled");
  EXPECT_FALSE(JobStatusFromName("done").has_value());
}

TEST(JobTest, OnlySucceededFailedAndCancelledAreFinal) {
  EXPECT_FALSE(IsFinal(JobStatus::kQueued));
  EXPECT_FALSE(IsFinal(JobStatus::kRunning));
  EXPECT_TRUE(IsFinal(JobStatus::kSucceeded));
  EXPECT_TRUE(IsFinal(JobStatus::kFailed));
  EXPECT_TRUE(IsFinal(JobStatus::kCancelled));
}

TEST(JobTest, PriorityNamesRoundTrip) {
  EXPECT_EQ(JobPriorityFromName("high"), JobPriority::kHigh);
  EXPECT_EQ(JobPriorityFromName("normal"), JobPriority::kNormal);
  EXPECT_EQ(JobPriorityFromName("low"), JobPriority::kLow);
  EXPECT_FALSE(JobPriorityFromName("urgent").has_value());
  EXPECT_EQ(JobPriorityName(JobPriority::kLow), "low");
}

TEST(JobTest, IdsAreUrlSafeAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    std::string id = NewJobId();
    ASSERT_EQ(id.size(), 22u);
    EXPECT_TRUE(IsValidJobId(id)) << id;
    EXPECT_EQ(id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                   "opqrstuvwxyz0123456789-_"),
              std::string::npos);
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(JobTest, IdValidationRejectsOtherShapes) {
  EXPECT_FALSE(IsValidJobId(""));
  EXPECT_FALSE(IsValidJobId("short"));
  EXPECT_FALSE(IsValidJobId("AAAAAAAAAAAAAAAAAAAAA/"));  // '/' not URL-safe
  EXPECT_FALSE(IsValidJobId("AAAAAAAAAAAAAAAAAAAAAAA"));  // 23 characters
  EXPECT_TRUE(IsValidJobId("AAAAAAAAAAAAAAAAAAAAA-"));
}

TEST(JobTest, FailedAttemptsExcludeInterruptedAndSuccessfulOnes) {
  Job job;
  job.attempts.push_back({1, {}, {}, "restart", /*interrupted=*/true});
  job.attempts.push_back({2, {}, {}, "model unavailable", false});
  job.attempts.push_back({3, {}, {}, "", false});
  EXPECT_EQ(job.attempt_count(), 3);
  EXPECT_EQ(job.failed_attempt_count(), 1);
}

}  // namespace
}  // namespace inferd::jobs

namespace inferd::jobs {
namespace {

JobSpec FingerprintSpec() {
  JobSpec spec;
  spec.request.model = "simple";
  spec.request.route = "infer";
  spec.request.input.content_type = "application/json";
  spec.request.input.body = R"({"inputs":[]})";
  return spec;
}

TEST(JobFingerprintTest, SameRequestSameFingerprintWhateverTheKey) {
  JobSpec a = FingerprintSpec();
  JobSpec b = FingerprintSpec();
  a.idempotency_key = "one";
  b.idempotency_key = "two";
  EXPECT_EQ(JobFingerprint(a), JobFingerprint(b));
  EXPECT_THAT(JobFingerprint(a), ::testing::MatchesRegex("[0-9a-f]{32}"));
}

TEST(JobFingerprintTest, EveryFieldTheClientChoseCounts) {
  const std::string base = JobFingerprint(FingerprintSpec());
  std::vector<JobSpec> changed(8, FingerprintSpec());
  changed[0].request.model = "simplf";
  changed[1].request.version = "1";
  changed[2].request.route = "predict";
  changed[3].request.input.content_type = "application/octet-stream";
  changed[4].request.input.headers = {{"inference-header-content-length", "13"}};
  changed[5].request.input.body += " ";
  changed[6].webhook_url = "http://127.0.0.1/hook";
  changed[7].max_attempts = 2;
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_NE(JobFingerprint(changed[i]), base) << i;
  }
  // Fields are length-prefixed: moving bytes from one field to the next
  // is a different request.
  JobSpec shifted = FingerprintSpec();
  shifted.request.model = "simpl";
  shifted.request.version = "e";
  JobSpec unshifted = FingerprintSpec();
  unshifted.request.model = "simple";
  unshifted.request.version = "";
  EXPECT_NE(JobFingerprint(shifted), JobFingerprint(unshifted));
}

}  // namespace
}  // namespace inferd::jobs
