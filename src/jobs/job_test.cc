#include "jobs/job.h"

#include <set>

#include "gtest/gtest.h"

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
