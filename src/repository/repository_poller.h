#pragma once

// Poll mode's watcher: calls ModelRepository::Poll every `interval` on a
// thread of its own, from construction until destruction. The interval runs
// from the end of one poll to the start of the next, so a slow load never
// stacks polls. Waits on `clock`, so tests drive it with a FakeClock.
// Thread-safe; the destructor waits for a poll in progress (its loads and
// drains) to finish.

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "repository/model_repository.h"

namespace inferd {

class RepositoryPoller {
 public:
  struct Options {
    absl::Duration interval = absl::Seconds(15);  // Triton's default
    Clock* clock = nullptr;                        // not owned; real if null
  };
  // `repository` is not owned and must outlive the poller.
  RepositoryPoller(ModelRepository* repository, Options options);
  ~RepositoryPoller();

  RepositoryPoller(const RepositoryPoller&) = delete;
  RepositoryPoller& operator=(const RepositoryPoller&) = delete;

 private:
  void Run();

  ModelRepository* const repository_;
  const Options options_;
  Clock* const clock_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace inferd
