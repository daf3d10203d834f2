#include "server/job_service.h"

#include <algorithm>

#include "common/status_macros.h"
#include "common/strings.h"
#include "jobs/redis_job_store.h"
#include "jobs/sqlite_job_store.h"
#include "spdlog/spdlog.h"

namespace inferd {

absl::StatusOr<std::unique_ptr<JobService>> JobService::Create(const ServerOptions& options,
                                                               const ApiContext* context,
                                                               MetricsRegistry* registry,
                                                               redis::RedisClient* redis,
                                                               const std::string& replica) {
  std::unique_ptr<JobService> service(new JobService());
  service->result_ttl_ = absl::Seconds(options.job_result_ttl_s);
  // Webhooks may only reach public addresses, and what --webhook-allow lists.
  INFERD_ASSIGN_OR_RETURN(service->webhook_policy_,
                          OutboundPolicy::Create(options.webhook_allow));
  HttpClient::Options webhook_client;
  webhook_client.timeout = absl::Seconds(10);
  webhook_client.policy = &service->webhook_policy_;
  webhook_client.ca_file = options.webhook_ca;
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client,
                          HttpClient::Create(webhook_client));
  service->lease_ = absl::Milliseconds(options.job_lease_ms);

  absl::StatusOr<std::unique_ptr<jobs::JobStore>> store;
  if (redis != nullptr) {
    jobs::RedisJobStore::Options redis_options;
    redis_options.client = redis;
    redis_options.replica = replica;
    redis_options.max_attempts = options.job_max_attempts;
    redis_options.result_ttl = service->result_ttl_;
    redis_options.lease = service->lease_;
    redis_options.retry.initial = absl::Milliseconds(options.job_retry_backoff_ms);
    redis_options.retry.max = std::max(redis_options.retry.initial, redis_options.retry.max);
    redis_options.events = &service->events_;
    store = jobs::RedisJobStore::Open(std::move(redis_options));
  } else {
    jobs::SqliteJobStore::Options store_options;
    store_options.data_dir = options.data_dir;
    store_options.max_attempts = options.job_max_attempts;
    store_options.result_ttl = service->result_ttl_;
    store_options.retry_initial_backoff = absl::Milliseconds(options.job_retry_backoff_ms);
    store_options.lease = service->lease_;
    store_options.events = &service->events_;
    store = jobs::SqliteJobStore::Open(store_options);
  }
  if (!store.ok()) {
    // Bad options and a data directory that another inferd holds (or that
    // cannot be created) still stop the start. A database file that cannot
    // be used costs only the async routes: they answer 503 with the reason.
    if (absl::IsInvalidArgument(store.status()) ||
        absl::IsFailedPrecondition(store.status())) {
      return store.status();
    }
    std::string reason = StrCat("async jobs are unavailable: ", store.status().message());
    spdlog::error("{} (synchronous inference is served)", reason);
    service->api_ = JobsApi::Unavailable(context, std::move(reason));
    return service;
  }
  service->store_ = *std::move(store);

  service->metrics_ = std::make_unique<JobMetrics>(registry, service->store_.get());
  service->api_ = std::make_unique<JobsApi>(context, service->store_.get(), &service->events_,
                                            JobExecutor::Options{options.max_instances},
                                            service->metrics_.get());

  jobs::JobWorkerPool::Options pool_options;
  pool_options.workers = options.job_workers;
  pool_options.events = &service->events_;
  // On Redis the worker names tell replicas apart (RecoverAfterCrash
  // takes back only this replica's jobs).
  pool_options.name = redis != nullptr ? replica : "job-worker";
  JobsApi* api = service->api_.get();
  INFERD_ASSIGN_OR_RETURN(
      service->pool_,
      jobs::JobWorkerPool::Create(pool_options, service->store_.get(),
                                  [api](const jobs::Job& job, const jobs::JobCancellation& cancel) {
                                    return api->Execute(job, cancel);
                                  }));
  service->api_->set_worker_pool(service->pool_.get());

  service->api_->set_webhook_policy(&service->webhook_policy_);
  service->notifier_ =
      std::make_unique<WebhookHttpNotifier>(std::move(client), service->metrics_.get());
  jobs::WebhookDispatcher::Options webhook_options;
  webhook_options.events = &service->events_;
  INFERD_ASSIGN_OR_RETURN(service->webhooks_,
                          jobs::WebhookDispatcher::Create(webhook_options, service->store_.get(),
                                                          service->notifier_.get()));
  return service;
}

JobService::~JobService() { Stop(); }

absl::Status JobService::Start() {
  absl::MutexLock lifecycle(&lifecycle_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::CancelledError("the server is stopping");
  }
  if (!store_) return absl::OkStatus();  // jobs are unavailable; nothing runs
  INFERD_ASSIGN_OR_RETURN(int recovered, store_->RecoverAfterCrash());
  if (recovered > 0) spdlog::info("jobs: requeued {} jobs left running by the last process", recovered);
  pool_->Start();
  webhooks_->Start();
  maintenance_ = std::thread([this] { Maintain(); });
  return absl::OkStatus();
}

void JobService::Stop() {
  absl::MutexLock lifecycle(&lifecycle_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
  if (webhooks_) webhooks_->Stop();
  if (pool_) pool_->Stop();
}

void JobService::Maintain() {
  // Purge often enough that a result outlives its TTL by at most a tenth
  // of it (at least every second, at most every minute).
  // Leases are checked at least four times per lease, so a stopped
  // replica's jobs run elsewhere soon after their lease ends.
  const absl::Duration period = std::min(
      std::clamp(result_ttl_ / 10, absl::Seconds(1), absl::Minutes(1)),
      std::max(lease_ / 4, absl::Milliseconds(100)));
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), period)) {
    mu_.Unlock();
    absl::StatusOr<int> purged = store_->PurgeExpired();
    if (!purged.ok()) spdlog::warn("jobs: purge failed: {}", purged.status().ToString());
    absl::StatusOr<int> requeued = store_->RequeueExpiredLeases();
    if (!requeued.ok()) spdlog::warn("jobs: lease check failed: {}", requeued.status().ToString());
    else if (*requeued > 0) spdlog::warn("jobs: requeued {} jobs whose lease expired", *requeued);
    mu_.Lock();
  }
}

}  // namespace inferd
