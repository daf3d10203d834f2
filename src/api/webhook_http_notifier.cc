#include "api/webhook_http_notifier.h"

#include "api/job_json.h"
#include "boost/json.hpp"
#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd {

absl::Status WebhookHttpNotifier::Deliver(const jobs::Job& job) {
  absl::Status status = Post(job);
  if (metrics_) metrics_->WebhookDelivered(status.ok());
  return status;
}

absl::Status WebhookHttpNotifier::Post(const jobs::Job& job) {
  INFERD_RETURN_IF_ERROR(ValidateWebhookUrl(job.webhook_url));
  HttpPost post;
  post.url = job.webhook_url;
  post.headers.emplace_back("Job-Id", job.id);
  post.body = boost::json::serialize(JobDocument(job));
  absl::Status status = client_->Post(post);
  if (status.ok()) return status;
  return absl::Status(status.code(), StrCat("webhook ", status.message()));
}

}  // namespace inferd
