#pragma once

// Delivers a finished job's document to its webhook: POST <url> with the
// JSON of GET /v1/jobs/{id}, over http:// or https:// (peer verified);
// user:password@ in the URL becomes an `Authorization: Basic` header. The
// client's OutboundPolicy checks the address again at delivery (a name
// whose address changed since submission to a private one is refused) and
// connects to the checked address; redirects are not followed. OK on any
// 2xx answer; anything else (refused, timed out, non-2xx) is an error the
// dispatcher records and retries. Blocking, bounded by the client's
// timeout; runs on the WebhookDispatcher's thread. Thread-safe.

#include <memory>

#include "api/job_metrics.h"
#include "http/http_client.h"
#include "jobs/webhook_dispatcher.h"

namespace inferd {

class WebhookHttpNotifier : public jobs::WebhookNotifier {
 public:
  // `metrics` is optional and not owned.
  explicit WebhookHttpNotifier(std::unique_ptr<HttpClient> client,
                               const JobMetrics* metrics = nullptr)
      : client_(std::move(client)), metrics_(metrics) {}

  absl::Status Deliver(const jobs::Job& job) override;

 private:
  absl::Status Post(const jobs::Job& job);

  const std::unique_ptr<HttpClient> client_;
  const JobMetrics* metrics_;
};

}  // namespace inferd
