#pragma once

// Time as a dependency. Anything that waits or times out takes a Clock* so
// its tests run on a FakeClock and never sleep.
//
// RealClock is thread-safe and immortal (RealClock::Get()). FakeClock is
// thread-safe; time moves only through Advance().

#include <functional>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace inferd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
  // Blocks the calling thread until Now() >= deadline or `mu` is released
  // because `cond` became true: waits on `mu` (held on entry and exit) for
  // `cond` with a deadline measured on this clock. Returns cond's value.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                 absl::Time deadline) = 0;
};

class RealClock : public Clock {
 public:
  static RealClock* Get();
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) override {
    return mu->AwaitWithDeadline(cond, deadline);
  }
};

// A clock for tests. Waiters blocked in AwaitWithDeadline wake when
// Advance() passes their deadline (they re-check under their own mutex).
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::UnixEpoch() + absl::Hours(1))
      : now_(start) {}

  absl::Time Now() const override;
  void Advance(absl::Duration d);
  void SetTime(absl::Time t);

  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) override;

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace inferd
