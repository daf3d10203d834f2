#include "api/keep_alive.h"

#include <utility>

namespace inferd {

KeepAlive::KeepAlive(Options options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()) {}

KeepAlive::~KeepAlive() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void KeepAlive::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

KeepAlive::Lease::~Lease() { keeper_->Release(name_, entry_); }

std::shared_ptr<KeepAlive::Lease> KeepAlive::Hold(const std::string& name,
                                                  std::optional<absl::Duration> keep) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[name];
  if (entry.id == 0) entry.id = next_id_++;
  ++entry.leases;
  if (keep) entry.duration = *keep;
  ++changes_;
  return std::shared_ptr<Lease>(new Lease(this, name, entry.id));
}

void KeepAlive::Release(const std::string& name, uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end() || it->second.id != id) return;  // forgotten meanwhile
  Entry& entry = it->second;
  if (--entry.leases > 0) return;
  if (!entry.duration) {
    entries_.erase(it);  // not timed: nothing to remember
    return;
  }
  entry.deadline = clock_->Now() + *entry.duration;
  ++changes_;
}

void KeepAlive::Loaded(const std::string& name) {
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[name];
  if (entry.id == 0) entry.id = next_id_++;
  if (entry.duration) return;
  entry.duration = options_.default_duration;
  if (entry.leases == 0) entry.deadline = clock_->Now() + *entry.duration;
  ++changes_;
}

void KeepAlive::Forget(const std::string& name) {
  absl::MutexLock lock(&mu_);
  entries_.erase(name);
  ++changes_;
}

absl::Time KeepAlive::ExpiresAt(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(name);
  if (it == entries_.end() || !it->second.duration) return absl::InfiniteFuture();
  const Entry& entry = it->second;
  return entry.leases > 0 ? clock_->Now() + *entry.duration : entry.deadline;
}

std::optional<std::string> KeepAlive::TakeExpiredLocked(absl::Time now) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const Entry& entry = it->second;
    if (entry.leases == 0 && entry.duration && entry.deadline <= now) {
      std::string name = it->first;
      entries_.erase(it);
      return name;
    }
  }
  return std::nullopt;
}

absl::Time KeepAlive::NextDeadlineLocked() const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [name, entry] : entries_) {
    if (entry.leases == 0 && entry.duration && entry.deadline < next) next = entry.deadline;
  }
  return next;
}

std::vector<std::string> KeepAlive::UnloadExpired() {
  std::vector<std::string> unloaded;
  while (true) {
    std::optional<std::string> name;
    {
      absl::MutexLock lock(&mu_);
      name = TakeExpiredLocked(clock_->Now());
    }
    if (!name) return unloaded;
    if (options_.unload) options_.unload(*name);
    unloaded.push_back(*std::move(name));
  }
}

void KeepAlive::Loop() {
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    std::optional<std::string> name = TakeExpiredLocked(clock_->Now());
    if (name) {
      mu_.Unlock();
      if (options_.unload) options_.unload(*name);
      mu_.Lock();
      continue;
    }
    // Sleep until the earliest deadline, or until a lease, a timer or a
    // stop changes what the earliest one is.
    const int64_t seen = changes_;
    const auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stopping_ || changes_ != seen;
    };
    clock_->AwaitWithDeadline(&mu_, absl::Condition(&changed), NextDeadlineLocked());
  }
}

}  // namespace inferd
