#pragma once

// Runs the instances of one task request (a :predict or an embeddings call)
// through a model's task pipeline (pipelines/task/task_pipeline.h) and its
// scheduler:
//
//   worker pool: Preprocess each instance (tokenize, decode); a failing
//                instance keeps its error and the others go on
//   each good instance becomes one request of the model's ModelScheduler:
//   the dynamic batcher joins it with the request's other instances and
//   with other traffic, pads (for tasks that allow it), runs and splits the
//   outputs: the one batching layer
//   worker pool: Postprocess each instance
//
// Nothing here runs on an HTTP I/O thread, and executor threads only hand
// results back to the pool.
// Thread-safe: RunTask() may be called from any thread; `done` is called
// exactly once, on a pool thread.

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "common/cancel_signal.h"
#include "common/thread_pool.h"
#include "pipelines/task/task_pipeline.h"
#include "serving/generation_task.h"
#include "repository/model_version.h"

namespace inferd {

struct TaskCall {
  ModelHandle model;
  const pipelines::TaskPipeline* pipeline = nullptr;  // model's attachment
  // JSON the instances point into; kept alive for the call.
  std::shared_ptr<const boost::json::value> body;
  std::vector<pipelines::TaskInstance> instances;
  std::unique_ptr<pipelines::TaskParameters> parameters;
  uint32_t priority = 0;                  // 0: the model's default level
  std::optional<absl::Duration> timeout;  // queue timeout
  std::shared_ptr<CancelSignal> cancel;   // optional: the caller went away

  // Set for a GGUF language model instead of `pipeline`: its generation
  // task and, per instance, a prepared sequence or the instance's error.
  struct Generation {
    GenerationTask task;
    std::vector<absl::StatusOr<GenerateCall>> calls;
    std::vector<std::string> texts;  // each instance's own text (return_full_text)
  };
  std::shared_ptr<Generation> generation;
};

struct TaskOutcome {
  // One per instance, in order: its prediction or its own error.
  std::vector<absl::StatusOr<boost::json::value>> predictions;
  std::vector<int64_t> tokens;  // per instance (0 when it failed)
  int64_t succeeded = 0;
  int64_t failed = 0;
};

// Calls `done` with the outcome, or with the error that stopped the whole
// request: Unavailable/ResourceExhausted (queue full, unloading),
// DeadlineExceeded (queue timeout), Cancelled.
void RunTask(ThreadPool* pool, std::shared_ptr<TaskCall> call,
             std::function<void(absl::StatusOr<TaskOutcome>)> done);

}  // namespace inferd
