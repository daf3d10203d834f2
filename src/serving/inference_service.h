#pragma once

// The inference service: the one path from a decoded request to a typed
// result, shared by every route and by async jobs. Protocol handlers
// (api/) decode their wire format, call Prepare* (which resolves the model
// version and validates the request against it, so a bad request is refused
// the same way whether it came synchronously or as a job), then run it and
// encode the typed result themselves. Nothing here knows HTTP.
//
//   Infer    named tensors (KServe v2 / Triton)      -> InferenceResponse
//   Predict  task instances (:predict, embeddings)  -> TaskOutcome
//   Generate a prompt for a GGUF language model      -> GenerateResult
//
// Errors are absl::Status: NotFound (unknown model or version), Unavailable
// (loading, unloading, queue full), InvalidArgument (bad input, naming it),
// DeadlineExceeded (queue timeout), Cancelled, Internal (the model failed).
// Thread-safe; the callbacks run on an executor or pool thread and must not
// block.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "common/cancel_signal.h"
#include "common/thread_pool.h"
#include "pipelines/task/task_pipeline.h"
#include "repository/model_repository.h"
#include "serving/generate_call.h"
#include "serving/task_runner.h"
#include "tensor/inference_request.h"

namespace inferd {

// A v2 request bound to the model version that will run it, validated.
struct InferCall {
  ModelHandle model;
  std::shared_ptr<InferenceRequest> request;
  std::vector<size_t> selected;  // output indices to return, in order
  int64_t rows = 0;              // batch rows
};

// The instances of a task request, as decoded from :predict (JSON,
// multipart or an image body) or embeddings.
struct PredictInput {
  // The JSON that instances and parameters point into; null for a raw
  // image or a multipart body without parameters.
  std::shared_ptr<const boost::json::value> body;
  std::vector<pipelines::TaskInstance> instances;
  const boost::json::object* parameters = nullptr;  // the task's; null when absent
  uint32_t priority = 0;                              // 0: the model's default
  std::optional<absl::Duration> timeout;              // queue timeout
};

class InferenceService {
 public:
  struct Options {
    ModelRepository* repository = nullptr;  // not owned
    ThreadPool* pool = nullptr;             // not owned; task pre/post-processing
  };
  explicit InferenceService(Options options);

  // The version `version` of `name` ("" or "-1": the latest ready one).
  absl::StatusOr<ModelHandle> Model(const std::string& name, const std::string& version) const;

  // Validates `request` against the model's signature (inputs, shapes,
  // requested outputs).
  absl::StatusOr<InferCall> PrepareInfer(ModelHandle model, InferenceRequest request) const;
  using InferDone = std::function<void(absl::StatusOr<InferenceResponse>)>;
  // Queues the call on the model's scheduler; `cancel` (optional) drops it
  // from the queue. `done` runs once, on the executor thread that ran the
  // batch (or at once on an error): hand encoding to another thread.
  void Infer(InferCall call, const std::shared_ptr<CancelSignal>& cancel,
             InferDone done) const;

  // Checks that the model has a task and parses the task's parameters.
  absl::StatusOr<std::shared_ptr<TaskCall>> PreparePredict(
      ModelHandle model, PredictInput input, std::shared_ptr<CancelSignal> cancel) const;
  using PredictDone = std::function<void(absl::StatusOr<TaskOutcome>)>;
  // Runs every instance; `done` runs once, on a pool thread.
  void Predict(std::shared_ptr<TaskCall> call, PredictDone done) const;

  // Checks that the model is a language model, validates `input` against
  // its context and defaults (InvalidArgument naming the field) and
  // tokenizes the prompt.
  absl::StatusOr<GenerateCall> PrepareGenerate(ModelHandle model, GenerateInput input) const;
  using GenerateDone = std::function<void(absl::StatusOr<GenerateResult>)>;
  // Runs the call on the model's generation loop. `on_delta` (optional)
  // gets the text as it comes; `done` runs once, after the last delta, on
  // the generation thread (or at once on an error): hand encoding to
  // another thread. `cancel` (optional) ends the sequence at the next step;
  // `done` then gets Cancelled.
  void Generate(GenerateCall call, const std::shared_ptr<CancelSignal>& cancel,
                TextDeltaCallback on_delta, GenerateDone done) const;

 private:
  // :predict on a language model (serving/generation_task.h).
  absl::StatusOr<std::shared_ptr<TaskCall>> PrepareGenerationTask(
      ModelHandle model, PredictInput input, std::shared_ptr<CancelSignal> cancel) const;
  void RunGenerationTask(std::shared_ptr<TaskCall> call, PredictDone done) const;

  const Options options_;
};

}  // namespace inferd
