#pragma once

// Delivers a finished job's document to its webhook: POST <url> with the
// JSON of GET /v1/jobs/{id}. Plain http:// only; user:password@ in the URL
// becomes an `Authorization: Basic` header. OK on any 2xx answer;
// anything else (refused, timed out, non-2xx) is an error the dispatcher
// records and retries. Blocking, bounded by `timeout`; runs on the
// WebhookDispatcher's thread. Thread-safe.

#include "absl/time/time.h"
#include "api/job_metrics.h"
#include "jobs/webhook_dispatcher.h"

namespace inferd {

class WebhookHttpNotifier : public jobs::WebhookNotifier {
 public:
  // `metrics` is optional and not owned.
  explicit WebhookHttpNotifier(absl::Duration timeout, const JobMetrics* metrics = nullptr)
      : timeout_(timeout), metrics_(metrics) {}

  absl::Status Deliver(const jobs::Job& job) override;

 private:
  absl::Status Post(const jobs::Job& job);

  const absl::Duration timeout_;
  const JobMetrics* metrics_;
};

}  // namespace inferd
