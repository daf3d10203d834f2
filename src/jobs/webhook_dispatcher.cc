#include "jobs/webhook_dispatcher.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace inferd::jobs {

absl::StatusOr<std::unique_ptr<WebhookDispatcher>> WebhookDispatcher::Create(
    Options options, JobStore* store, WebhookNotifier* notifier) {
  if (store == nullptr || notifier == nullptr) {
    return absl::InvalidArgumentError(
        "webhook dispatcher: store and notifier are required");
  }
  if (options.max_attempts < 1 || options.batch < 1 ||
      options.backoff_multiplier < 1.0 ||
      options.poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "webhook dispatcher: max_attempts and batch must be >= 1, multiplier "
        ">= 1, poll_interval > 0");
  }
  if (options.clock == nullptr) options.clock = RealClock::Get();
  return std::unique_ptr<WebhookDispatcher>(
      new WebhookDispatcher(options, store, notifier));
}

WebhookDispatcher::WebhookDispatcher(Options options, JobStore* store,
                                     WebhookNotifier* notifier)
    : options_(options),
      store_(store),
      notifier_(notifier),
      clock_(options.clock) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

absl::Duration WebhookDispatcher::Backoff(int attempts_made) const {
  double factor = std::pow(options_.backoff_multiplier,
                           std::max(0, attempts_made - 1));
  return std::min(options_.initial_backoff * factor, options_.max_backoff);
}

void WebhookDispatcher::Start() {
  if (options_.events != nullptr) {
    subscription_ = options_.events->SubscribeAll([this](const JobEvent& e) {
      if (IsFinal(e.status) && e.job != nullptr && !e.job->webhook_url.empty()) {
        Wake();
      }
    });
  }
  thread_ = std::thread([this] { Loop(); });
}

void WebhookDispatcher::Stop() {
  subscription_.Cancel();
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void WebhookDispatcher::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

absl::StatusOr<int> WebhookDispatcher::RunOnce() {
  absl::StatusOr<std::vector<Job>> due = store_->DueWebhooks(options_.batch);
  if (!due.ok()) return due.status();
  for (const Job& job : *due) {
    absl::Status delivery = notifier_->Deliver(job);
    int attempts_made = job.webhook.attempts + 1;
    absl::Time next = absl::InfiniteFuture();
    if (!delivery.ok() && attempts_made < options_.max_attempts) {
      next = clock_->Now() + Backoff(attempts_made);
    }
    absl::Status recorded = store_->RecordWebhookAttempt(job.id, delivery, next);
    // A job purged meanwhile has nobody left to tell.
    if (!recorded.ok() && !absl::IsNotFound(recorded)) return recorded;
  }
  return static_cast<int>(due->size());
}

void WebhookDispatcher::Loop() {
  while (true) {
    absl::StatusOr<int> done = RunOnce();
    bool more = done.ok() && *done >= options_.batch;
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    if (more) continue;
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || woken_;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&ready),
                              clock_->Now() + options_.poll_interval);
    woken_ = false;
    if (stopping_) return;
  }
}

}  // namespace inferd::jobs
