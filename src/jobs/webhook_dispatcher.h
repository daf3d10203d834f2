#pragma once

// Webhook delivery for finished jobs.
//
// WebhookNotifier is the injected transport: it POSTs the final job
// document to job.webhook_url (the HTTP client and the JSON rendering live
// outside jobs/). WebhookDispatcher owns one thread that asks the store for
// due deliveries, calls the notifier, and records every attempt on the job:
// failures retry with exponential backoff until `max_attempts`, then the
// job's webhook status is failed with the last error. Deliveries never block
// the job queue: the store marks a final job's webhook pending in the same
// commit that finishes it, and this thread picks it up (also after a
// restart, since pending deliveries are in the database).
//
// Thread-safe. Start() once; Stop() (or the destructor) joins the thread.

#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jobs/job.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"

namespace inferd::jobs {

class WebhookNotifier {
 public:
  virtual ~WebhookNotifier() = default;
  // Delivers `job` (final, without its input body) to job.webhook_url.
  // OK only on a 2xx answer. May block (bounded by its own timeout); runs on
  // the dispatcher's thread.
  virtual absl::Status Deliver(const Job& job) = 0;
};

class WebhookDispatcher {
 public:
  struct Options {
    int max_attempts = 5;
    absl::Duration initial_backoff = absl::Seconds(1);
    double backoff_multiplier = 2.0;
    absl::Duration max_backoff = absl::Minutes(5);
    // How often to look for due deliveries when nothing wakes the thread.
    absl::Duration poll_interval = absl::Seconds(1);
    int batch = 32;                 // deliveries fetched per pass
    Clock* clock = nullptr;         // not owned; defaults to the real clock
    JobEventHub* events = nullptr;  // not owned; optional: wakes on final
  };

  // `store` and `notifier` are not owned and must outlive the dispatcher.
  static absl::StatusOr<std::unique_ptr<WebhookDispatcher>> Create(
      Options options, JobStore* store, WebhookNotifier* notifier);
  ~WebhookDispatcher();

  void Start();
  void Stop();

  // One pass on the calling thread: delivers every due webhook (up to
  // `batch`) and records the attempts. Returns how many were attempted.
  // Tests call this directly instead of Start().
  absl::StatusOr<int> RunOnce();

  // Delay before retry number `attempts_made` + 1.
  absl::Duration Backoff(int attempts_made) const;

 private:
  WebhookDispatcher(Options options, JobStore* store,
                    WebhookNotifier* notifier);
  void Loop();
  void Wake();

  const Options options_;
  JobStore* const store_;
  WebhookNotifier* const notifier_;
  Clock* const clock_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
  JobEventHub::Subscription subscription_;
};

}  // namespace inferd::jobs
