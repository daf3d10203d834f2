#pragma once

// Everything behind the async jobs, started and stopped as one: the job
// store (SQLite under --data-dir, or Redis with --redis), the event hub, the JobsApi (whose
// routes server/routes.cc lists), the worker pool that runs jobs, the webhook
// dispatcher, and a maintenance thread that purges expired results and
// takes back expired leases.
//
// Start order matters for "never lost": jobs left running by a previous
// process are requeued before any worker starts.

#include <memory>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "api/api_context.h"
#include "api/job_metrics.h"
#include "api/jobs_api.h"
#include "api/webhook_http_notifier.h"
#include "config/server_options.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_worker_pool.h"
#include "jobs/job_store.h"
#include "redis/redis_client.h"
#include "jobs/webhook_dispatcher.h"
#include "metrics/metrics_registry.h"

namespace inferd {

class JobService {
 public:
  // Opens the store (FailedPrecondition when another inferd holds the data
  // directory) and makes the JobsApi. Nothing runs until Start(). When the
  // database file cannot be used (damaged, not a database, unreadable), the
  // service is created without a store: api() answers every async request
  // with 503 naming the file and the remedy, and Start() runs nothing.
  // With `redis` (not owned; --redis) the jobs live on Redis, shared with
  // the other replicas, under the name `replica`.
  static absl::StatusOr<std::unique_ptr<JobService>> Create(const ServerOptions& options,
                                                            const ApiContext* context,
                                                            MetricsRegistry* registry,
                                                            redis::RedisClient* redis = nullptr,
                                                            const std::string& replica = "");
  ~JobService();

  JobsApi* api() { return api_.get(); }

  // Requeues what a previous process left running, then starts the workers,
  // the webhook dispatcher and maintenance.
  absl::Status Start();
  // Lets running jobs finish, then stops every thread. Queued jobs stay in
  // the store for the next start.
  void Stop();

 private:
  JobService() = default;
  void Maintain();

  absl::Duration result_ttl_;
  OutboundPolicy webhook_policy_;  // read by the API and the notifier's client
  absl::Duration lease_;
  jobs::JobEventHub events_;
  std::unique_ptr<jobs::JobStore> store_;
  std::unique_ptr<JobMetrics> metrics_;
  std::unique_ptr<JobsApi> api_;
  std::unique_ptr<WebhookHttpNotifier> notifier_;
  std::unique_ptr<jobs::JobWorkerPool> pool_;
  std::unique_ptr<jobs::WebhookDispatcher> webhooks_;
  // Held through the whole of Start() and Stop(), so a Stop() that races a
  // Start() (SIGTERM during startup) waits for it and then stops what it
  // started, instead of missing the maintenance thread it was creating.
  absl::Mutex lifecycle_mu_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread maintenance_ ABSL_GUARDED_BY(lifecycle_mu_);
};

}  // namespace inferd
