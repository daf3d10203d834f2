// InferenceService::PrepareGenerationTask and RunGenerationTask: :predict
// on a GGUF language model, each instance one sequence of its generation
// loop (see serving/generation_task.h).

#include <memory>
#include <mutex>
#include <utility>

#include "common/strings.h"
#include "serving/inference_service.h"

namespace inferd {

absl::StatusOr<std::shared_ptr<TaskCall>> InferenceService::PrepareGenerationTask(
    ModelHandle model, PredictInput input, std::shared_ptr<CancelSignal> cancel) const {
  absl::StatusOr<GenerationTask> task = GenerationTaskOf(*model, input.parameters);
  if (!task.ok()) {
    if (const ModelMetrics* metrics = model->metrics()) metrics->Fail(FailureReason::kInvalid);
    return task.status();
  }
  auto generation = std::make_shared<TaskCall::Generation>();
  generation->task = *std::move(task);
  for (const pipelines::TaskInstance& instance : input.instances) {
    std::string text;
    if (instance.json == nullptr) {
      generation->calls.push_back(
          absl::InvalidArgumentError("instance: a language model takes text, not an upload"));
    } else {
      if (instance.json->is_string()) text = std::string(instance.json->get_string());
      if (const boost::json::object* o = instance.json->if_object()) {
        if (const boost::json::value* t = o->if_contains("text"); t && t->is_string()) {
          text = std::string(t->get_string());
        }
      }
      absl::StatusOr<GenerateInput> generate =
          GenerationTaskInput(*model, generation->task, *instance.json, input.parameters);
      if (generate.ok()) {
        generation->calls.push_back(PrepareGenerate(model, *std::move(generate)));
      } else {
        generation->calls.push_back(generate.status());
      }
    }
    generation->texts.push_back(std::move(text));
  }
  auto call = std::make_shared<TaskCall>();
  call->model = std::move(model);
  call->body = std::move(input.body);
  call->cancel = std::move(cancel);
  call->generation = std::move(generation);
  return call;
}

void InferenceService::RunGenerationTask(std::shared_ptr<TaskCall> call, PredictDone done) const {
  struct Gather {
    std::mutex mu;
    TaskOutcome outcome;
    size_t remaining = 0;
    PredictDone done;
  };
  TaskCall::Generation& generation = *call->generation;
  const size_t n = generation.calls.size();
  auto gather = std::make_shared<Gather>();
  gather->outcome.predictions.resize(n, absl::UnknownError("not run"));
  gather->outcome.tokens.resize(n, 0);
  gather->remaining = n + 1;  // + 1: this function, so none finishes it early
  gather->done = std::move(done);
  ThreadPool* pool = options_.pool;
  auto finish_one = [gather, call, pool](size_t i, absl::StatusOr<boost::json::value> prediction,
                                         int64_t tokens) {
    std::lock_guard<std::mutex> lock(gather->mu);
    if (i < gather->outcome.predictions.size()) {
      (prediction.ok() ? gather->outcome.succeeded : gather->outcome.failed) += 1;
      gather->outcome.predictions[i] = std::move(prediction);
      gather->outcome.tokens[i] = tokens;
    }
    if (--gather->remaining > 0) return;
    // Every instance ended: a request whose client went away is cancelled.
    auto answer = [gather, call] {
      if (call->cancel && call->cancel->cancelled()) {
        return gather->done(absl::CancelledError("the request was cancelled"));
      }
      gather->done(std::move(gather->outcome));
    };
    if (pool != nullptr) return pool->Post(std::move(answer));
    answer();
  };
  for (size_t i = 0; i < n; ++i) {
    absl::StatusOr<GenerateCall>& prepared = generation.calls[i];
    if (!prepared.ok()) {
      finish_one(i, prepared.status(), 0);
      continue;
    }
    Generate(std::move(*prepared), call->cancel, nullptr,
             [finish_one, i, task = generation.task,
              text = generation.texts[i]](absl::StatusOr<GenerateResult> result) {
               if (!result.ok()) return finish_one(i, result.status(), 0);
               finish_one(i, GenerationTaskPrediction(task, text, *result),
                          result->generated_tokens);
             });
  }
  finish_one(n, boost::json::value(), 0);  // this function's share
}

}  // namespace inferd
