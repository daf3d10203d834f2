#include "repository/published_version.h"

namespace inferd {

PublishedVersion::PublishedVersion(std::shared_ptr<ModelVersion> model)
    : model_(std::move(model)) {
  // The deleter runs when the last handle goes. It keeps the version alive
  // until then (a request may outlive a withdrawal that timed out) and lets
  // go of it as soon as it runs, not when the count's control block goes
  // (weak references, such as a cancel signal's, keep that).
  handle_ = ModelHandle(model_.get(), [model = model_, released = released_](
                                          const ModelVersion*) mutable {
    model.reset();
    absl::MutexLock lock(&released->mu);
    released->all = true;
  });
}

ModelHandle PublishedVersion::handle() const {
  absl::MutexLock lock(&mu_);
  return handle_;
}

bool PublishedVersion::Withdraw(Clock* clock, absl::Time deadline) {
  ModelHandle own;
  {
    absl::MutexLock lock(&mu_);
    own = std::move(handle_);
  }
  own.reset();  // the last handle, when no request holds one
  Released& released = *released_;
  absl::MutexLock lock(&released.mu);
  return clock->AwaitWithDeadline(&released.mu, absl::Condition(&released.all), deadline);
}

}  // namespace inferd
