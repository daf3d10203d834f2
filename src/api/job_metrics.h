#pragma once

// Metrics of the async job queue (inferd_job_*), documented in
// docs/metrics.md. Counters and histograms are updated by the job executor
// and the webhook notifier; the per-state gauges are refreshed from the
// store at every scrape. Thread-safe.

#include <string>

#include "jobs/job_store.h"
#include "metrics/metrics_registry.h"

namespace inferd {

class JobMetrics {
 public:
  // Registers the families, and a scrape hook that reads `store`'s counts.
  // `store` is not owned and must outlive the registry's scrapes.
  JobMetrics(MetricsRegistry* registry, jobs::JobStore* store);

  void Submitted(const std::string& model) const;
  // One attempt's end: outcome is "succeeded", "retried", "failed" or
  // "cancelled"; queued_seconds is how long the job waited before this
  // attempt started.
  void AttemptFinished(const std::string& model, const std::string& outcome,
                       double queued_seconds, double running_seconds) const;
  void WebhookDelivered(bool ok) const;

 private:
  void Refresh() const;

  jobs::JobStore* store_;
  Family<Counter>* submitted_;
  Family<Counter>* attempts_;
  Family<Counter>* webhooks_;
  Family<Gauge>* jobs_;
  Gauge* queue_depth_;
  Gauge* oldest_queued_;
  Histogram* queued_seconds_;
  Histogram* running_seconds_;
};

}  // namespace inferd
