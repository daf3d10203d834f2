#include "grpc/grpc_inference_service.h"

#include <string>

#include "api/cache_metrics.h"
#include "grpc/grpc_infer_runner.h"
#include "grpc/grpc_status.h"
#include "grpc/grpc_stream_infer.h"
#include "repository/model_repository.h"

namespace inferd::grpc_api {
namespace {

using google::protobuf::RepeatedPtrField;
using inference::ModelMetadataResponse;

// The extensions of Triton's protocol that inferd serves over gRPC.
constexpr std::string_view kExtensions[] = {"model_repository", "model_configuration",
                                            "statistics", "schedule_policy", "parameters",
                                            "classification"};

void AddTensorMetadata(const ModelSignature& signature, const std::vector<TensorSpec>& specs,
                       RepeatedPtrField<ModelMetadataResponse::TensorMetadata>* out) {
  for (const TensorSpec& spec : specs) {
    ModelMetadataResponse::TensorMetadata* tensor = out->Add();
    tensor->set_name(spec.name);
    tensor->set_datatype(std::string(DataTypeName(spec.dtype)));
    const Shape shape = signature.ClientShape(spec);
    tensor->mutable_shape()->Add(shape.begin(), shape.end());
  }
}

void SetDuration(const DurationStat& from, inference::StatisticDuration* to) {
  to->set_count(from.count);
  to->set_ns(from.ns);
}

void AddVersionStats(const ModelVersion& model, inference::ModelStatisticsResponse* response) {
  const ModelStatsSnapshot s = model.scheduler().stats().Snapshot();
  inference::ModelStatistics* stats = response->add_model_stats();
  stats->set_name(model.name());
  stats->set_version(model.version_string());
  stats->set_last_inference(static_cast<uint64_t>(s.last_inference_ms));
  stats->set_inference_count(s.inference_count);
  stats->set_execution_count(s.execution_count);
  inference::InferStatistics* infer = stats->mutable_inference_stats();
  SetDuration(s.success, infer->mutable_success());
  SetDuration(s.fail, infer->mutable_fail());
  SetDuration(s.queue, infer->mutable_queue());
  SetDuration(s.compute_input, infer->mutable_compute_input());
  SetDuration(s.compute_infer, infer->mutable_compute_infer());
  SetDuration(s.compute_output, infer->mutable_compute_output());
  for (const auto& [size, b] : s.batch_stats) {
    inference::InferBatchStatistics* batch = stats->add_batch_stats();
    batch->set_batch_size(static_cast<uint64_t>(size));
    SetDuration(b.compute_input, batch->mutable_compute_input());
    SetDuration(b.compute_infer, batch->mutable_compute_infer());
    SetDuration(b.compute_output, batch->mutable_compute_output());
  }
}

// inferd serves one model repository; naming another is refused rather
// than ignored.
absl::Status CheckRepositoryName(const std::string& name) {
  if (name.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      StrCat("repository_name \"", name, "\": inferd serves one model repository; leave "
             "repository_name empty"));
}

// Unload parameters: Triton's clients send unload_dependents with every
// unload; inferd has no ensembles, so a model has no dependents and either
// value means the same. Anything else is refused by name, not ignored.
absl::Status CheckUnloadParameters(
    const google::protobuf::Map<std::string, inference::ModelRepositoryParameter>& parameters) {
  for (const auto& [key, value] : parameters) {
    if (key == "unload_dependents" &&
        value.parameter_choice_case() == inference::ModelRepositoryParameter::kBoolParam) {
      continue;
    }
    return absl::InvalidArgumentError(StrCat("unload parameter \"", key, "\" is not supported"));
  }
  return absl::OkStatus();
}

// Load parameters as Triton's gRPC clients send them: "config" (the model
// config as JSON, string_param) and "file:<path>" (a file of the model
// folder, its raw bytes in bytes_param). Anything else is refused by name.
absl::StatusOr<ModelRepository::LoadOverrides> LoadOverridesFrom(
    const google::protobuf::Map<std::string, inference::ModelRepositoryParameter>& parameters) {
  using inference::ModelRepositoryParameter;
  ModelRepository::LoadOverrides overrides;
  for (const auto& [key, value] : parameters) {
    const std::string_view name(key);
    if (name == "config") {
      if (value.parameter_choice_case() != ModelRepositoryParameter::kStringParam) {
        return absl::InvalidArgumentError(
            "load parameter \"config\" must be a string_param holding the model config as JSON");
      }
      overrides.config_json = value.string_param();
    } else if (name.starts_with("file:")) {
      if (value.parameter_choice_case() != ModelRepositoryParameter::kBytesParam) {
        return absl::InvalidArgumentError(
            StrCat("load parameter \"", name, "\" must be a bytes_param holding the file"));
      }
      overrides.files[std::string(name.substr(5))] = value.bytes_param();
    } else {
      return absl::InvalidArgumentError(StrCat(
          "load parameter \"", name, "\" is not supported (supported: config, file:<path>)"));
    }
  }
  return overrides;
}

}  // namespace

UnaryCall* GrpcInferenceService::Begin(grpc::CallbackServerContext* context, std::string_view rpc,
                                       Access access, bool* admitted) const {
  auto* call = new UnaryCall(options_.metrics, rpc);
  std::shared_ptr<void> permit;
  grpc::Status status = options_.guard->Admit(context, rpc, access, &permit);
  *admitted = status.ok();
  if (!status.ok()) {
    call->Done(status);
  } else {
    call->Hold(std::move(permit));
  }
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ServerLive(
    grpc::CallbackServerContext* context, const inference::ServerLiveRequest*,
    inference::ServerLiveResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ServerLive", Access::kOpen, &admitted);
  if (!admitted) return call;
  response->set_live(true);
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ServerReady(
    grpc::CallbackServerContext* context, const inference::ServerReadyRequest*,
    inference::ServerReadyResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ServerReady", Access::kOpen, &admitted);
  if (!admitted) return call;
  response->set_ready(options_.context->repository->AllReady());
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelReady(
    grpc::CallbackServerContext* context, const inference::ModelReadyRequest* request,
    inference::ModelReadyResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ModelReady", Access::kInfer, &admitted);
  if (!admitted) return call;
  // As Triton: a model that is not ready, or not known, answers false; only
  // a malformed name is an error.
  absl::StatusOr<ModelHandle> model =
      options_.context->service->Model(request->name(), request->version());
  if (!model.ok() && model.status().code() == absl::StatusCode::kInvalidArgument) {
    call->Done(ToGrpcStatus(model.status()));
    return call;
  }
  response->set_ready(model.ok());
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ServerMetadata(
    grpc::CallbackServerContext* context, const inference::ServerMetadataRequest*,
    inference::ServerMetadataResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ServerMetadata", Access::kInfer, &admitted);
  if (!admitted) return call;
  response->set_name("inferd");
  response->set_version(options_.context->server_version);
  for (std::string_view extension : kExtensions) response->add_extensions(std::string(extension));
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelMetadata(
    grpc::CallbackServerContext* context, const inference::ModelMetadataRequest* request,
    inference::ModelMetadataResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ModelMetadata", Access::kInfer, &admitted);
  if (!admitted) return call;
  absl::StatusOr<ModelHandle> model =
      options_.context->service->Model(request->name(), request->version());
  if (!model.ok()) {
    call->Done(ToGrpcStatus(model.status()));
    return call;
  }
  response->set_name((*model)->name());
  for (const ModelHandle& ready : options_.context->repository->ReadyVersions()) {
    if (ready->name() == (*model)->name()) response->add_versions(ready->version_string());
  }
  response->set_platform((*model)->config().platform());
  const ModelSignature& signature = (*model)->signature();
  AddTensorMetadata(signature, signature.inputs(), response->mutable_inputs());
  AddTensorMetadata(signature, signature.outputs(), response->mutable_outputs());
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelInfer(
    grpc::CallbackServerContext* context, const inference::ModelInferRequest* request,
    inference::ModelInferResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ModelInfer", Access::kInfer, &admitted);
  if (!admitted) return call;
  RunGrpcInfer(*options_.context, *request, call->cancel(), response,
               [call](const absl::Status& status) { call->Done(ToGrpcStatus(status)); });
  return call;
}

grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse>*
GrpcInferenceService::ModelStreamInfer(grpc::CallbackServerContext* context) {
  std::shared_ptr<void> permit;
  grpc::Status status = options_.guard->Admit(context, "ModelStreamInfer", Access::kInfer, &permit);
  return new StreamInferCall(options_.context, options_.metrics, std::move(status),
                             std::move(permit));
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelConfig(
    grpc::CallbackServerContext* context, const inference::ModelConfigRequest* request,
    inference::ModelConfigResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ModelConfig", Access::kInfer, &admitted);
  if (!admitted) return call;
  absl::StatusOr<ModelHandle> model =
      options_.context->service->Model(request->name(), request->version());
  if (!model.ok()) {
    call->Done(ToGrpcStatus(model.status()));
    return call;
  }
  *response->mutable_config() = (*model)->config();
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::ModelStatistics(
    grpc::CallbackServerContext* context, const inference::ModelStatisticsRequest* request,
    inference::ModelStatisticsResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "ModelStatistics", Access::kInfer, &admitted);
  if (!admitted) return call;
  const ModelRepository& repository = *options_.context->repository;
  const std::string& name = request->name();
  if (name.empty()) {
    if (!request->version().empty()) {
      call->Done(ToGrpcStatus(absl::InvalidArgumentError("a version needs a model name")));
      return call;
    }
    for (const ModelHandle& model : repository.ReadyVersions()) {
      AddVersionStats(*model, response);
    }
  } else if (!request->version().empty()) {
    absl::StatusOr<ModelHandle> model = repository.Get(name, request->version());
    if (!model.ok()) {
      call->Done(ToGrpcStatus(model.status()));
      return call;
    }
    AddVersionStats(**model, response);
  } else {
    for (const ModelHandle& model : repository.ReadyVersions()) {
      if (model->name() == name) AddVersionStats(*model, response);
    }
    if (response->model_stats_size() == 0) {
      absl::StatusOr<ModelHandle> model = repository.Get(name, "");
      call->Done(ToGrpcStatus(model.ok() ? absl::InternalError("no ready version")
                                         : model.status()));
      return call;
    }
  }
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::RepositoryIndex(
    grpc::CallbackServerContext* context, const inference::RepositoryIndexRequest* request,
    inference::RepositoryIndexResponse* response) {
  bool admitted;
  UnaryCall* call = Begin(context, "RepositoryIndex", Access::kAdmin, &admitted);
  if (!admitted) return call;
  if (absl::Status named = CheckRepositoryName(request->repository_name()); !named.ok()) {
    call->Done(ToGrpcStatus(named));
    return call;
  }
  for (const ModelStatus& model : options_.context->repository->Index()) {
    for (const VersionStatus& version : model.versions) {
      if (request->ready() && version.state != ModelState::kReady) continue;
      inference::RepositoryIndexResponse::ModelIndex* entry = response->add_models();
      entry->set_name(model.name);
      entry->set_version(version.version);
      entry->set_state(std::string(ModelStateName(version.state)));
      entry->set_reason(version.reason);
    }
  }
  call->Done(grpc::Status::OK);
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::RepositoryModelLoad(
    grpc::CallbackServerContext* context, const inference::RepositoryModelLoadRequest* request,
    inference::RepositoryModelLoadResponse*) {
  bool admitted;
  UnaryCall* call = Begin(context, "RepositoryModelLoad", Access::kAdmin, &admitted);
  if (!admitted) return call;
  absl::StatusOr<ModelRepository::LoadOverrides> overrides =
      LoadOverridesFrom(request->parameters());
  absl::Status valid = CheckRepositoryName(request->repository_name());
  if (valid.ok()) valid = overrides.status();
  if (!valid.ok()) {
    call->Done(ToGrpcStatus(valid));
    return call;
  }
  ModelRepository* repository = options_.context->repository;
  options_.context->control_pool->Post(
      [repository, call, name = request->model_name(), overrides = *std::move(overrides)] {
        call->Done(ToGrpcStatus(repository->Load(name, overrides)));
      });
  return call;
}

grpc::ServerUnaryReactor* GrpcInferenceService::RepositoryModelUnload(
    grpc::CallbackServerContext* context, const inference::RepositoryModelUnloadRequest* request,
    inference::RepositoryModelUnloadResponse*) {
  bool admitted;
  UnaryCall* call = Begin(context, "RepositoryModelUnload", Access::kAdmin, &admitted);
  if (!admitted) return call;
  absl::Status valid = CheckRepositoryName(request->repository_name());
  if (valid.ok()) valid = CheckUnloadParameters(request->parameters());
  if (!valid.ok()) {
    call->Done(ToGrpcStatus(valid));
    return call;
  }
  ModelRepository* repository = options_.context->repository;
  options_.context->control_pool->Post([repository, call, name = request->model_name()] {
    call->Done(ToGrpcStatus(repository->Unload(name)));
  });
  return call;
}

}  // namespace inferd::grpc_api
