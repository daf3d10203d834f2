#include "common/clock.h"

namespace inferd {

RealClock* RealClock::Get() {
  static RealClock* clock = new RealClock();
  return clock;
}

absl::Time FakeClock::Now() const {
  absl::MutexLock lock(&mu_);
  return now_;
}

void FakeClock::Advance(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  now_ += d;
  ++generation_;
}

void FakeClock::SetTime(absl::Time t) {
  absl::MutexLock lock(&mu_);
  now_ = t;
  ++generation_;
}

bool FakeClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  // Poll in short real-time slices: the waiter's mutex is not ours, so we
  // cannot be woken by it directly. Tests advance time explicitly, so this
  // returns promptly after the Advance() that passes the deadline.
  while (true) {
    if (cond.Eval()) return true;
    if (Now() >= deadline) return cond.Eval();
    mu->AwaitWithTimeout(cond, absl::Milliseconds(1));
  }
}

}  // namespace inferd
