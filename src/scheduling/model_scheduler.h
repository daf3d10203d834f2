#pragma once

// Runs the requests of one model version on its instances.
//
// Each ModelInstance gets one executor thread; requests wait in one FIFO
// queue and go to whichever instance is free. Drain() stops intake, lets the
// queued and running work finish and joins the threads: that is what lets
// an unload wait for in-flight requests.
// Thread-safe: Enqueue() may be called from any thread; completions run on
// the executor threads and must not block.

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backend/backend.h"

namespace inferd {

class ModelScheduler {
 public:
  using Completion = std::function<void(absl::StatusOr<std::vector<Tensor>>)>;

  struct Options {
    std::string name;  // "model:version", for thread names and logs
  };

  static std::unique_ptr<ModelScheduler> Create(
      Options options, std::vector<std::unique_ptr<ModelInstance>> instances);
  ~ModelScheduler();  // drains

  // Queues one request (inputs validated, in config order). `done` is called
  // exactly once, on an executor thread. Returns Unavailable, without calling
  // `done`, once Drain() has begun.
  absl::Status Enqueue(std::vector<Tensor> inputs, Completion done);

  // Stops intake and waits for queued and running requests to finish.
  // Idempotent.
  void Drain();

  // Requests queued or running right now.
  int pending() const;

 private:
  struct Work {
    std::vector<Tensor> inputs;
    Completion done;
  };

  ModelScheduler(Options options,
                 std::vector<std::unique_ptr<ModelInstance>> instances);
  void RunInstance(ModelInstance* instance);

  const Options options_;
  std::vector<std::unique_ptr<ModelInstance>> instances_;
  std::vector<std::thread> threads_;

  mutable absl::Mutex mu_;
  std::deque<Work> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool joined_ = false;  // only touched by Drain's caller
  absl::Mutex join_mu_;
};

}  // namespace inferd
