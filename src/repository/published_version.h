#pragma once

// A loaded version as the repository hands it to requests. Every ModelHandle
// it gives out shares one reference count of its own, so the repository can
// tell when the last request holding the version has let go. A reload uses
// that to retire the version it replaces gracefully: the old version leaves
// the repository's table (new requests get the new one), then Withdraw()
// waits until the requests that resolved it just before the swap have
// queued on it and finished, and only then is it drained. Without the wait
// such a request would find the old scheduler refusing work (503).
//
// Holding a handle keeps the version (and its instances) alive, as before;
// a handle outliving Withdraw's deadline still points at a live version, but
// one that was drained and refuses new work.
// Thread-safe: handle() and Withdraw() may be called from any thread; a
// handle may be released on any thread.

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "repository/model_version.h"

namespace inferd {

class PublishedVersion {
 public:
  explicit PublishedVersion(std::shared_ptr<ModelVersion> model);

  // A handle for a request; null after Withdraw().
  ModelHandle handle() const;
  ModelVersion& model() const { return *model_; }

  // Stops handing out handles, drops the repository's own and waits on
  // `clock` until every handle given out is released or `deadline` passes.
  // Returns whether they were all released. Call it once.
  bool Withdraw(Clock* clock, absl::Time deadline);

 private:
  struct Released {
    absl::Mutex mu;
    bool all ABSL_GUARDED_BY(mu) = false;
  };

  const std::shared_ptr<ModelVersion> model_;
  const std::shared_ptr<Released> released_ = std::make_shared<Released>();
  mutable absl::Mutex mu_;
  ModelHandle handle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd
