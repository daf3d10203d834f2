#include "api/task_runner.h"

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "common/strings.h"
#include "tensor/tensor_rows.h"

namespace inferd {
namespace {

using pipelines::Features;

// The state of one call while its batches are in the scheduler.
struct Run {
  std::shared_ptr<TaskCall> call;
  std::function<void(absl::StatusOr<TaskOutcome>)> done;
  ThreadPool* pool = nullptr;
  std::vector<absl::StatusOr<Features>> features;
  // Per instance: its outputs once its batch ran, or the batch's error.
  std::vector<absl::StatusOr<std::vector<Tensor>>> outputs;
  std::atomic<int> batches_left{0};

  absl::Mutex mu;
  absl::Status fatal ABSL_GUARDED_BY(mu);  // first error that stops the request
  std::vector<ModelScheduler::RequestId> queued ABSL_GUARDED_BY(mu);
};

// Scheduler errors that concern the request as a whole, not its instances.
bool IsRequestLevel(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsResourceExhausted(status) ||
         absl::IsDeadlineExceeded(status) || absl::IsCancelled(status);
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

void BatchDone(const std::shared_ptr<Run>& run) {
  if (run->batches_left.fetch_sub(1) == 1) {
    run->pool->Post([run] { Finish(run); });
  }
}

// Puts the instances `members` into one scheduler request.
void Submit(const std::shared_ptr<Run>& run, std::vector<size_t> members) {
  TaskCall& call = *run->call;
  std::vector<const Features*> items;
  std::vector<int64_t> rows;
  int64_t total = 0;
  for (size_t i : members) {
    items.push_back(&*run->features[i]);
    rows.push_back(run->features[i]->rows);
    total += run->features[i]->rows;
  }
  absl::StatusOr<std::vector<Tensor>> inputs = call.pipeline->Collate(items);
  if (!inputs.ok()) {
    for (size_t i : members) run->outputs[i] = inputs.status();
    return BatchDone(run);
  }
  ModelScheduler::Request request;
  request.inputs = *std::move(inputs);
  request.rows = call.model->signature().batched() ? total : 1;
  request.priority = call.priority;
  request.timeout = call.timeout;
  const bool batched = call.model->signature().batched();
  if (batched && call.pipeline->pads_across_requests()) {
    for (size_t i = 0; i < request.inputs.size(); ++i) {
      request.pad_values.push_back(call.pipeline->pad_value(i));
    }
  }
  request.done = [run, members, rows, batched](absl::StatusOr<std::vector<Tensor>> result) {
    if (!result.ok() && IsRequestLevel(result.status())) {
      absl::MutexLock lock(&run->mu);
      if (run->fatal.ok()) run->fatal = result.status();
    } else if (!result.ok()) {
      for (size_t i : members) run->outputs[i] = result.status();
    } else if (members.size() == 1 || !batched) {
      run->outputs[members.front()] = *std::move(result);
    } else {
      for (size_t i : members) run->outputs[i] = std::vector<Tensor>();
      for (const Tensor& output : *result) {
        absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(output, rows);
        if (!pieces.ok()) {
          for (size_t i : members) run->outputs[i] = pieces.status();
          break;
        }
        for (size_t k = 0; k < members.size(); ++k) {
          run->outputs[members[k]]->push_back(std::move((*pieces)[k]));
        }
      }
    }
    BatchDone(run);
  };
  absl::StatusOr<ModelScheduler::RequestId> id =
      call.model->scheduler().Enqueue(std::move(request));
  if (!id.ok()) {
    {
      absl::MutexLock lock(&run->mu);
      if (run->fatal.ok()) run->fatal = id.status();
    }
    return BatchDone(run);
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

  // Batches of at most max_batch_size rows (one instance each for a model
  // that does not batch).
  const ModelSignature& signature = call.model->signature();
  const int64_t max_rows = signature.batched() ? signature.max_batch_size() : 1;
  std::vector<std::vector<size_t>> batches;
  int64_t rows = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!run->features[i].ok()) continue;
    const int64_t r = run->features[i]->rows;
    if (r > max_rows) {
      run->outputs[i] = absl::InvalidArgumentError(StrCat(
          "the instance needs ", r, " rows; the model takes at most ", max_rows));
      continue;
    }
    if (batches.empty() || rows + r > max_rows) {
      batches.emplace_back();
      rows = 0;
    }
    batches.back().push_back(i);
    rows += r;
  }
  if (batches.empty()) return Finish(run);
  run->batches_left = static_cast<int>(batches.size());
  for (auto& members : batches) Submit(run, std::move(members));
  if (call.cancel) {
    // The signal lives as long as the client's request and `run` holds the
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
