#pragma once

// A cancellation flag with actions: the HTTP layer cancels a request whose
// client went away, a job worker one whose job was cancelled; whoever runs
// the work registers what to undo with OnCancel(). It lives in common/ so
// that the inference service and the job executor share it without knowing
// HTTP.

#include <functional>
#include <mutex>
#include <vector>

namespace inferd {

// Thread-safe. An action must not hold (directly or through what it
// captures) the object that holds the signal: that is a cycle that never
// frees; capture a weak_ptr instead.
class CancelSignal {
 public:
  // Runs `fn` once on Cancel(), or at once if Cancel() already happened.
  // Several callbacks may be registered; they run in registration order.
  void OnCancel(std::function<void()> fn);
  void Cancel();
  bool cancelled() const;

 private:
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::vector<std::function<void()>> on_cancel_;
};

}  // namespace inferd
