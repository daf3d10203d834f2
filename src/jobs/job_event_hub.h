#pragma once

// JobEventHub: in-process fan-out of job state changes, for
// `GET /v1/jobs/{id}/events` (Server-Sent Events), for waking the worker
// pool and the webhook dispatcher, and for tests.
//
// The job store publishes one JobEvent after each committed change (submit,
// claim, retry, completion, cancellation, cancel request). Subscribers
// register a callback for one job id or for all jobs. Callbacks run on the
// publishing thread (the store's writer), outside the hub's lock, and must
// not block: an SSE handler posts the event to its connection's executor.
//
// Consumers that also read the job document (SSE sends the current state
// first) subscribe before reading it and drop events whose `revision` is not
// greater than the document's, so no change is missed or sent twice.
//
// Thread-safe. After a Subscription is destroyed (or Cancel()ed) its
// callback is never called again; destroying it waits for a callback that is
// running on another thread, so a callback must not destroy its own
// Subscription.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "jobs/job.h"

namespace inferd::jobs {

struct JobEvent {
  std::string job_id;
  JobStatus status = JobStatus::kQueued;
  int64_t revision = 0;
  // The job after the change, without its input body (result included).
  std::shared_ptr<const Job> job;
};

class JobEventHub {
 public:
  using Callback = std::function<void(const JobEvent&)>;

  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&&) = default;
    Subscription& operator=(Subscription&& other);
    ~Subscription() { Cancel(); }
    void Cancel();
    bool active() const { return state_ != nullptr; }

   private:
    friend class JobEventHub;
    struct State;
    Subscription(JobEventHub* hub, std::shared_ptr<State> state)
        : hub_(hub), state_(std::move(state)) {}
    JobEventHub* hub_ = nullptr;
    std::shared_ptr<State> state_;
  };

  JobEventHub() = default;
  JobEventHub(const JobEventHub&) = delete;
  JobEventHub& operator=(const JobEventHub&) = delete;

  // Events of one job. The hub must outlive the Subscription.
  Subscription Subscribe(std::string job_id, Callback callback);
  // Events of every job.
  Subscription SubscribeAll(Callback callback);

  // Whether anybody would receive an event for `job_id` (lets the store skip
  // building a snapshot nobody reads).
  bool HasSubscribers(std::string_view job_id) const;

  void Publish(const JobEvent& event);

  // Whether somebody subscribed to `job_id` itself (not counting
  // SubscribeAll), i.e. whether an event for it needs its document.
  bool HasJobSubscribers(std::string_view job_id) const;
  // Delivers `event` to SubscribeAll subscribers only; its `job` may be
  // null (a change made by another replica, announced over Redis without
  // its document). Such subscribers must check `job` before using it.
  void PublishWake(const JobEvent& event);

 private:
  void Remove(const std::shared_ptr<Subscription::State>& state);
  void Deliver(const JobEvent& event, bool to_job_subscribers);

  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<std::string,
                      std::vector<std::shared_ptr<Subscription::State>>>
      by_job_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Subscription::State>> all_ ABSL_GUARDED_BY(mu_);
};

// A subscription that queues events for a consumer that pulls them, waiting
// on a Clock (tests, simple long-polling). Unbounded: a job has only a
// handful of state changes. Thread-safe.
class JobEventQueue {
 public:
  // Subscribes to `job_id`, or to every job when it is empty.
  JobEventQueue(JobEventHub* hub, std::string job_id, Clock* clock = nullptr);

  // The next event, or nullopt when `deadline` (on the clock) passes first.
  std::optional<JobEvent> Next(absl::Time deadline);
  // Waits at most `timeout` on the clock.
  std::optional<JobEvent> Next(absl::Duration timeout);

 private:
  Clock* clock_;
  absl::Mutex mu_;
  std::deque<JobEvent> events_ ABSL_GUARDED_BY(mu_);
  JobEventHub::Subscription subscription_;  // last: unsubscribes first
};

}  // namespace inferd::jobs
