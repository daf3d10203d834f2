#include "jobs/job_codec.h"

#include "gtest/gtest.h"

namespace inferd::jobs {
namespace {

Job FullJob() {
  Job job;
  job.id = NewJobId();
  job.status = JobStatus::kFailed;
  job.priority = JobPriority::kLow;
  job.request.model = "simple";
  job.request.version = "2";
  job.request.route = "infer";
  job.request.input.content_type = "application/octet-stream";
  job.request.input.headers = {{"Inference-Header-Content-Length", "13"}};
  job.request.input.body = "not stored in the document";
  job.idempotency_key = "k";
  job.request_fingerprint = "fp";
  job.webhook_url = "http://127.0.0.1:9/h";
  job.webhook = {WebhookStatus::kPending, 2, "refused", absl::FromUnixMicros(7)};
  job.owner = "alice";
  job.revision = 9;
  job.created = absl::FromUnixMicros(1700000000000001);
  job.started = absl::FromUnixMicros(1700000000000002);
  job.finished = absl::InfiniteFuture();
  job.not_before = absl::InfinitePast();
  job.lease_expires = absl::FromUnixMicros(-5);
  job.max_attempts = 4;
  job.attempts = {{1, absl::FromUnixMicros(1), absl::FromUnixMicros(2), "boom", false},
                  {2, absl::FromUnixMicros(3), absl::InfinitePast(), "", true}};
  job.cancel_requested = true;
  job.worker = "r1-3";
  job.result = JobPayload{400, "application/json", {{"a", "b"}}, std::string("x\0y", 3)};
  job.error = "failed after 2 attempts";
  return job;
}

TEST(JobCodecTest, RoundTripsEveryFieldButTheInputBody) {
  Job job = FullJob();
  absl::StatusOr<Job> back = DecodeJob(EncodeJob(job));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->id, job.id);
  EXPECT_EQ(back->status, job.status);
  EXPECT_EQ(back->priority, job.priority);
  EXPECT_EQ(back->request.model, "simple");
  EXPECT_EQ(back->request.version, "2");
  EXPECT_EQ(back->request.input.headers, job.request.input.headers);
  EXPECT_TRUE(back->request.input.body.empty());
  EXPECT_EQ(back->webhook.status, WebhookStatus::kPending);
  EXPECT_EQ(back->webhook.attempts, 2);
  EXPECT_EQ(back->webhook.last_error, "refused");
  EXPECT_EQ(back->owner, "alice");
  EXPECT_EQ(back->revision, 9);
  EXPECT_EQ(back->created, job.created);
  EXPECT_EQ(back->finished, absl::InfiniteFuture());
  EXPECT_EQ(back->not_before, absl::InfinitePast());
  EXPECT_EQ(back->lease_expires, job.lease_expires);
  ASSERT_EQ(back->attempts.size(), 2u);
  EXPECT_EQ(back->attempts[0].error, "boom");
  EXPECT_TRUE(back->attempts[1].interrupted);
  EXPECT_EQ(back->attempts[1].finished, absl::InfinitePast());
  EXPECT_TRUE(back->cancel_requested);
  EXPECT_EQ(back->worker, "r1-3");
  ASSERT_TRUE(back->result.has_value());
  EXPECT_EQ(back->result->body, std::string("x\0y", 3));
  EXPECT_EQ(back->result->http_status, 400);
  EXPECT_EQ(back->error, job.error);
}

TEST(JobCodecTest, TruncatedOrForeignDocumentsAreDataLoss) {
  std::string bytes = EncodeJob(FullJob());
  for (size_t cut : {size_t{0}, size_t{1}, size_t{20}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeJob(bytes.substr(0, cut)).status())) << cut;
  }
  std::string other_version = bytes;
  other_version[0] = 9;
  EXPECT_TRUE(absl::IsDataLoss(DecodeJob(other_version).status()));
  std::string huge_length = bytes;
  for (int i = 1; i < 9; ++i) huge_length[i] = '\xff';
  EXPECT_TRUE(absl::IsDataLoss(DecodeJob(huge_length).status()));
}

}  // namespace
}  // namespace inferd::jobs
