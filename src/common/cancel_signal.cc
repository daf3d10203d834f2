#include "common/cancel_signal.h"

namespace inferd {

void CancelSignal::OnCancel(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cancelled_) {
      on_cancel_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void CancelSignal::Cancel() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(on_cancel_);
  }
  for (auto& fn : callbacks) fn();
}

bool CancelSignal::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

}  // namespace inferd
