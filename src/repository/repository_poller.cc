#include "repository/repository_poller.h"

namespace inferd {

RepositoryPoller::RepositoryPoller(ModelRepository* repository, Options options)
    : repository_(repository),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : RealClock::Get()) {
  thread_ = std::thread([this] { Run(); });
}

RepositoryPoller::~RepositoryPoller() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void RepositoryPoller::Run() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      const absl::Time next = clock_->Now() + options_.interval;
      if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_), next)) return;
    }
    repository_->Poll();
  }
}

}  // namespace inferd
