#include "jobs/job_event_hub.h"

#include <algorithm>
#include <utility>

#include "common/strings.h"

namespace inferd::jobs {

struct JobEventHub::Subscription::State {
  std::string job_id;  // empty: all jobs
  absl::Mutex mu;      // held while the callback runs
  bool active ABSL_GUARDED_BY(mu) = true;
  Callback callback;
};

JobEventHub::Subscription& JobEventHub::Subscription::operator=(
    Subscription&& other) {
  if (this != &other) {
    Cancel();
    hub_ = std::exchange(other.hub_, nullptr);
    state_ = std::move(other.state_);
  }
  return *this;
}

void JobEventHub::Subscription::Cancel() {
  if (state_ == nullptr) return;
  {
    // Waits for a callback running on another thread.
    absl::MutexLock lock(&state_->mu);
    state_->active = false;
  }
  hub_->Remove(state_);
  state_.reset();
  hub_ = nullptr;
}

JobEventHub::Subscription JobEventHub::Subscribe(std::string job_id,
                                                 Callback callback) {
  auto state = std::make_shared<Subscription::State>();
  state->job_id = job_id;
  state->callback = std::move(callback);
  absl::MutexLock lock(&mu_);
  if (job_id.empty()) {
    all_.push_back(state);
  } else {
    by_job_[job_id].push_back(state);
  }
  return Subscription(this, std::move(state));
}

JobEventHub::Subscription JobEventHub::SubscribeAll(Callback callback) {
  return Subscribe("", std::move(callback));
}

bool JobEventHub::HasSubscribers(std::string_view job_id) const {
  absl::MutexLock lock(&mu_);
  return !all_.empty() || by_job_.contains(ToAbsl(job_id));
}

bool JobEventHub::HasJobSubscribers(std::string_view job_id) const {
  absl::MutexLock lock(&mu_);
  return by_job_.contains(ToAbsl(job_id));
}

void JobEventHub::Publish(const JobEvent& event) { Deliver(event, /*to_job_subscribers=*/true); }

void JobEventHub::PublishWake(const JobEvent& event) {
  Deliver(event, /*to_job_subscribers=*/false);
}

void JobEventHub::Deliver(const JobEvent& event, bool to_job_subscribers) {
  std::vector<std::shared_ptr<Subscription::State>> targets;
  {
    absl::MutexLock lock(&mu_);
    targets = all_;
    auto it = to_job_subscribers ? by_job_.find(event.job_id) : by_job_.end();
    if (it != by_job_.end()) {
      targets.insert(targets.end(), it->second.begin(), it->second.end());
    }
  }
  for (const auto& state : targets) {
    absl::MutexLock lock(&state->mu);
    if (state->active && state->callback) state->callback(event);
  }
}

void JobEventHub::Remove(const std::shared_ptr<Subscription::State>& state) {
  absl::MutexLock lock(&mu_);
  auto erase_from = [&](std::vector<std::shared_ptr<Subscription::State>>& v) {
    v.erase(std::remove(v.begin(), v.end(), state), v.end());
  };
  if (state->job_id.empty()) {
    erase_from(all_);
    return;
  }
  auto it = by_job_.find(state->job_id);
  if (it == by_job_.end()) return;
  erase_from(it->second);
  if (it->second.empty()) by_job_.erase(it);
}

JobEventQueue::JobEventQueue(JobEventHub* hub, std::string job_id,
                             Clock* clock)
    : clock_(clock != nullptr ? clock : RealClock::Get()) {
  subscription_ = hub->Subscribe(std::move(job_id), [this](const JobEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(e);
  });
}

std::optional<JobEvent> JobEventQueue::Next(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  auto has_event = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !events_.empty();
  };
  clock_->AwaitWithDeadline(&mu_, absl::Condition(&has_event), deadline);
  if (events_.empty()) return std::nullopt;
  JobEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

std::optional<JobEvent> JobEventQueue::Next(absl::Duration timeout) {
  return Next(clock_->Now() + timeout);
}

}  // namespace inferd::jobs
