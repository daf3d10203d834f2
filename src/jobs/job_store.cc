#include "jobs/job_store.h"

#include <utility>

#include "absl/synchronization/notification.h"

namespace inferd::jobs {

absl::StatusOr<SubmitResult> JobStore::Submit(JobSpec spec) {
  absl::Notification done;
  absl::StatusOr<SubmitResult> result;
  SubmitAsync(std::move(spec), [&](absl::StatusOr<SubmitResult> r) {
    result = std::move(r);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

}  // namespace inferd::jobs
