#include "serving/task_runner.h"

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "common/strings.h"

namespace inferd {
namespace {

using pipelines::Features;

// The state of one call while its instances are in the scheduler.
struct Run {
  std::shared_ptr<TaskCall> call;
  std::function<void(absl::StatusOr<TaskOutcome>)> done;
  ThreadPool* pool = nullptr;
  std::vector<absl::StatusOr<Features>> features;
  // Per instance: its outputs once it ran, or its error.
  std::vector<absl::StatusOr<std::vector<Tensor>>> outputs;
  std::atomic<int> pending{0};

  absl::Mutex mu;
  absl::Status fatal ABSL_GUARDED_BY(mu);  // first error that stops the request
  std::vector<ModelScheduler::RequestId> queued ABSL_GUARDED_BY(mu);
};

// Scheduler errors that concern the request as a whole, not its instances.
bool IsRequestLevel(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsResourceExhausted(status) ||
         absl::IsDeadlineExceeded(status) || absl::IsCancelled(status);
}

void Fatal(Run& run, const absl::Status& status) {
  absl::MutexLock lock(&run.mu);
  if (run.fatal.ok()) run.fatal = status;
}

void Finish(const std::shared_ptr<Run>& run) {
  {
    absl::MutexLock lock(&run->mu);
    if (!run->fatal.ok()) return run->done(run->fatal);
  }
  TaskCall& call = *run->call;
  TaskOutcome outcome;
  const size_t n = call.instances.size();
  outcome.predictions.reserve(n);
  outcome.tokens.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<boost::json::value> prediction;
    if (!run->features[i].ok()) {
      prediction = run->features[i].status();
    } else if (!run->outputs[i].ok()) {
      prediction = run->outputs[i].status();
    } else {
      prediction =
          call.pipeline->Postprocess(*run->features[i], *run->outputs[i], *call.parameters);
    }
    if (prediction.ok()) {
      ++outcome.succeeded;
      outcome.tokens[i] = run->features[i]->tokens;
    } else {
      ++outcome.failed;
    }
    outcome.predictions.push_back(std::move(prediction));
  }
  run->done(std::move(outcome));
}

void InstanceDone(const std::shared_ptr<Run>& run) {
  if (run->pending.fetch_sub(1) == 1) {
    run->pool->Post([run] { Finish(run); });
  }
}

// Puts instance `i` into the model's scheduler as a request of its own.
void Submit(const std::shared_ptr<Run>& run, size_t i) {
  TaskCall& call = *run->call;
  const Features& features = *run->features[i];
  absl::StatusOr<std::vector<Tensor>> inputs = call.pipeline->Collate({&features});
  if (!inputs.ok()) {
    run->outputs[i] = inputs.status();
    return InstanceDone(run);
  }
  const bool batched = call.model->signature().batched();
  ModelScheduler::Request request;
  request.inputs = *std::move(inputs);
  request.rows = batched ? features.rows : 1;
  request.priority = call.priority;
  request.timeout = call.timeout;
  if (batched && call.pipeline->pads_across_requests()) {
    for (size_t k = 0; k < request.inputs.size(); ++k) {
      request.pad_values.push_back(call.pipeline->pad_value(k));
    }
  }
  request.done = [run, i](absl::StatusOr<std::vector<Tensor>> result) {
    if (!result.ok() && IsRequestLevel(result.status())) {
      Fatal(*run, result.status());
    } else {
      run->outputs[i] = std::move(result);
    }
    InstanceDone(run);
  };
  absl::StatusOr<ModelScheduler::RequestId> id =
      call.model->scheduler().Enqueue(std::move(request));
  if (!id.ok()) {
    Fatal(*run, id.status());
    return InstanceDone(run);
  }
  absl::MutexLock lock(&run->mu);
  run->queued.push_back(*id);
}

void Start(const std::shared_ptr<Run>& run) {
  TaskCall& call = *run->call;
  const size_t n = call.instances.size();
  run->features.reserve(n);
  for (const pipelines::TaskInstance& instance : call.instances) {
    run->features.push_back(call.pipeline->Preprocess(instance, *call.parameters));
  }
  run->outputs.assign(n, absl::UnknownError("not run"));

  const ModelSignature& signature = call.model->signature();
  const int64_t max_rows = signature.batched() ? signature.max_batch_size() : 1;
  std::vector<size_t> runnable;
  for (size_t i = 0; i < n; ++i) {
    if (!run->features[i].ok()) continue;
    const int64_t rows = run->features[i]->rows;
    if (rows > max_rows) {
      run->outputs[i] = absl::InvalidArgumentError(StrCat(
          "the instance needs ", rows, " rows; the model takes at most ", max_rows));
      continue;
    }
    runnable.push_back(i);
  }
  if (runnable.empty()) return Finish(run);
  // Held until every instance is queued, so Finish cannot run while a later
  // instance is still being submitted.
  run->pending = static_cast<int>(runnable.size()) + 1;
  for (size_t i : runnable) {
    {
      absl::MutexLock lock(&run->mu);
      if (!run->fatal.ok()) {  // queue full or unloading: stop submitting
        run->pending.fetch_sub(1);
        continue;
      }
    }
    Submit(run, i);
  }
  if (call.cancel) {
    // The signal lives as long as the caller's request and `run` holds the
    // signal (through the call): a strong capture here would be a cycle that
    // keeps every finished call, its inputs and its model version alive.
    call.cancel->OnCancel([weak = std::weak_ptr<Run>(run)] {
      std::shared_ptr<Run> run = weak.lock();
      if (!run) return;
      std::vector<ModelScheduler::RequestId> ids;
      {
        absl::MutexLock lock(&run->mu);
        ids = run->queued;
      }
      for (ModelScheduler::RequestId id : ids) run->call->model->scheduler().Cancel(id);
    });
  }
  InstanceDone(run);
}

}  // namespace

void RunTask(ThreadPool* pool, std::shared_ptr<TaskCall> call,
             std::function<void(absl::StatusOr<TaskOutcome>)> done) {
  auto run = std::make_shared<Run>();
  run->call = std::move(call);
  run->done = std::move(done);
  run->pool = pool;
  pool->Post([run] { Start(run); });
}

}  // namespace inferd
