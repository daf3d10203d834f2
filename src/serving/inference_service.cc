#include "serving/inference_service.h"

#include "tensor/classification.h"

#include "common/strings.h"

namespace inferd {
namespace {

void CountInvalid(const ModelVersion& model) {
  if (const ModelMetrics* metrics = model.metrics()) metrics->Fail(FailureReason::kInvalid);
}

}  // namespace

InferenceService::InferenceService(Options options) : options_(options) {}

absl::StatusOr<ModelHandle> InferenceService::Model(const std::string& name,
                                                    const std::string& version) const {
  return options_.repository->Get(name, version);
}

absl::StatusOr<InferCall> InferenceService::PrepareInfer(ModelHandle model,
                                                         InferenceRequest request) const {
  if (model->generator() != nullptr) {
    CountInvalid(*model);
    return absl::InvalidArgumentError(
        StrCat("model \"", model->name(), "\" is a language model: use POST /v2/models/",
               model->name(), "/generate"));
  }
  const ModelSignature& signature = model->signature();
  absl::StatusOr<int64_t> rows = signature.ValidateRequest(request);
  if (!rows.ok()) {
    CountInvalid(*model);
    return rows.status();
  }
  absl::StatusOr<std::vector<size_t>> selected = signature.SelectOutputs(request);
  if (!selected.ok()) {
    CountInvalid(*model);
    return selected.status();
  }
  InferCall call;
  call.model = std::move(model);
  call.request = std::make_shared<InferenceRequest>(std::move(request));
  call.selected = *std::move(selected);
  call.rows = *rows;
  return call;
}

void InferenceService::Infer(InferCall call, const std::shared_ptr<CancelSignal>& cancel,
                             InferDone done) const {
  InferenceRequest& request = *call.request;
  ModelScheduler::Request work;
  work.inputs.reserve(request.inputs.size());
  for (NamedTensor& input : request.inputs) work.inputs.push_back(std::move(input.tensor));
  work.rows = call.rows;
  if (request.priority) work.priority = static_cast<uint32_t>(*request.priority);
  if (request.timeout_us) {
    work.timeout = absl::Microseconds(static_cast<int64_t>(*request.timeout_us));
  }
  auto shared_done = std::make_shared<InferDone>(std::move(done));
  work.done = [model = call.model, request = call.request, selected = call.selected,
               shared_done](absl::StatusOr<std::vector<Tensor>> outputs) {
    if (!outputs.ok()) return (*shared_done)(outputs.status());
    InferenceResponse response;
    response.model_name = model->name();
    response.model_version = model->version_string();
    response.id = request->id;
    for (size_t k = 0; k < selected.size(); ++k) {
      const size_t index = selected[k];
      const std::string& name = model->signature().outputs()[index].name;
      response.outputs.push_back(NamedTensor{name, std::move((*outputs)[index])});
      if (!request->outputs.empty() && request->outputs[k].classification) {
        absl::StatusOr<Tensor> classes =
            Classify(response.outputs.back().tensor, *request->outputs[k].classification,
                     model->signature().batched(), model->labels(name), name);
        if (!classes.ok()) return (*shared_done)(classes.status());
        response.outputs.back().tensor = *std::move(classes);
      }
      bool binary = request->binary_data_output;
      if (!request->outputs.empty() && request->outputs[k].binary_data) {
        binary = *request->outputs[k].binary_data;
      }
      response.binary.push_back(binary);
    }
    (*shared_done)(std::move(response));
  };
  absl::StatusOr<ModelScheduler::RequestId> queued =
      call.model->scheduler().Enqueue(std::move(work));
  if (!queued.ok()) return (*shared_done)(queued.status());
  if (cancel) {
    // A weak reference: the signal may outlive the version (an HTTP request
    // kept by its connection), and must not keep it loaded.
    cancel->OnCancel([weak = std::weak_ptr<const ModelVersion>(call.model), id = *queued] {
      if (ModelHandle model = weak.lock()) model->scheduler().Cancel(id);
    });
  }
}

absl::StatusOr<std::shared_ptr<TaskCall>> InferenceService::PreparePredict(
    ModelHandle model, PredictInput input, std::shared_ptr<CancelSignal> cancel) const {
  if (model->generator() != nullptr) {
    return PrepareGenerationTask(std::move(model), std::move(input), std::move(cancel));
  }
  const auto* pipeline = dynamic_cast<const pipelines::TaskPipeline*>(model->attachment());
  if (pipeline == nullptr) {
    CountInvalid(*model);
    return absl::InvalidArgumentError(
        StrCat("model \"", model->name(),
               "\" declares no task (config.pbtxt parameters { key: \"task\" ... }); "
               "use POST /v2/models/", model->name(), "/infer"));
  }
  absl::StatusOr<std::unique_ptr<pipelines::TaskParameters>> parameters =
      pipeline->ParseParameters(input.parameters);
  if (!parameters.ok()) {
    CountInvalid(*model);
    return parameters.status();
  }
  auto call = std::make_shared<TaskCall>();
  call->model = std::move(model);
  call->pipeline = pipeline;
  call->body = std::move(input.body);
  call->instances = std::move(input.instances);
  call->parameters = *std::move(parameters);
  call->priority = input.priority;
  call->timeout = input.timeout;
  call->cancel = std::move(cancel);
  return call;
}

void InferenceService::Predict(std::shared_ptr<TaskCall> call, PredictDone done) const {
  if (call->generation) return RunGenerationTask(std::move(call), std::move(done));
  RunTask(options_.pool, std::move(call), std::move(done));
}

}  // namespace inferd
