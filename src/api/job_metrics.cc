#include "api/job_metrics.h"

#include "spdlog/spdlog.h"

namespace inferd {

JobMetrics::JobMetrics(MetricsRegistry* registry, jobs::JobStore* store)
    : store_(store) {
  submitted_ = registry->AddCounter("inferd_jobs_submitted_total",
                                    "Async jobs accepted (202), by model.", {"model"});
  attempts_ = registry->AddCounter(
      "inferd_job_attempts_total",
      "Job attempts by outcome: succeeded, retried, failed, cancelled.",
      {"model", "outcome"});
  webhooks_ = registry->AddCounter("inferd_job_webhook_deliveries_total",
                                   "Webhook deliveries by result: ok, failed.", {"result"});
  jobs_ = registry->AddGauge("inferd_jobs", "Jobs in the store by model and status.",
                             {"model", "status"});
  queue_depth_ = registry->AddGauge("inferd_job_queue_depth", "Jobs queued now.")
                     ->WithLabels({});
  oldest_queued_ = registry->AddGauge("inferd_job_oldest_queued_age_seconds",
                                      "Age of the oldest queued job (0 when none).")
                       ->WithLabels({});
  queued_seconds_ = registry->AddHistogram(
      "inferd_job_queued_seconds", "Time a job waited before an attempt started.",
      {}, MetricsRegistry::LatencyBounds())->WithLabels({});
  running_seconds_ = registry->AddHistogram(
      "inferd_job_running_seconds", "Time one job attempt ran.", {},
      MetricsRegistry::LatencyBounds())->WithLabels({});
  registry->AddScrapeHook([this] { Refresh(); });
}

void JobMetrics::Submitted(const std::string& model) const {
  submitted_->WithLabels({model})->Increment();
}

void JobMetrics::AttemptFinished(const std::string& model, const std::string& outcome,
                                 double queued_seconds, double running_seconds) const {
  attempts_->WithLabels({model, outcome})->Increment();
  queued_seconds_->Observe(queued_seconds);
  running_seconds_->Observe(running_seconds);
}

void JobMetrics::WebhookDelivered(bool ok) const {
  webhooks_->WithLabels({ok ? "ok" : "failed"})->Increment();
}

void JobMetrics::Refresh() const {
  absl::StatusOr<jobs::JobCounts> counts = store_->Counts();
  if (!counts.ok()) {
    spdlog::warn("job metrics: {}", counts.status().ToString());
    return;
  }
  // Every (model, status) seen so far is reset first, so a state that
  // emptied reads 0 instead of its last value.
  jobs_->ForEach([](const std::vector<std::string>&, Gauge& gauge) { gauge.Set(0); });
  for (const auto& [key, count] : counts->by_model_status) {
    jobs_->WithLabels({key.first, std::string(jobs::JobStatusName(key.second))})
        ->Set(static_cast<double>(count));
  }
  queue_depth_->Set(static_cast<double>(
      counts->by_status[static_cast<int>(jobs::JobStatus::kQueued)]));
  oldest_queued_->Set(counts->oldest_queued == absl::InfiniteFuture()
                          ? 0.0
                          : absl::ToDoubleSeconds(absl::Now() - counts->oldest_queued));
}

}  // namespace inferd
