#pragma once

// The KServe v2 gRPC service (inference.GRPCInferenceService) over the same
// inference service, model repository, response cache and metrics as the
// HTTP routes: a request gets the same validation, scheduler, batching and
// errors whichever transport brings it (grpc_status.h maps the codes).
//
//   ServerLive, ServerReady, ServerMetadata        the server
//   ModelReady, ModelMetadata, ModelConfig         one model (version)
//   ModelInfer                                     raw or typed contents in,
//                                                  raw contents out
//   ModelStreamInfer                               many infers on one stream
//                                                  (grpc_stream_infer.h)
//   ModelStatistics                                Triton's statistics
//   RepositoryIndex, RepositoryModelLoad/Unload    Triton's repository extension
//
// Every call passes the guard (grpc_guard.h) first. Handlers never block a
// gRPC thread: inference completes on the model's executor, loads and
// unloads run on the control pool.
//
// Thread-safe. Everything in Options is not owned and must outlive the
// gRPC server that serves this.

#include "api/api_context.h"
#include "grpc/grpc_call.h"
#include "grpc/grpc_guard.h"
#include "grpc/grpc_service.grpc.pb.h"

namespace inferd::grpc_api {

class GrpcInferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  struct Options {
    const ApiContext* context = nullptr;  // required
    const GrpcGuard* guard = nullptr;     // required
    const GrpcMetrics* metrics = nullptr;  // optional
  };
  explicit GrpcInferenceService(Options options) : options_(options) {}

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* context,
                                       const inference::ServerLiveRequest* request,
                                       inference::ServerLiveResponse* response) override;
  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* context,
                                        const inference::ServerReadyRequest* request,
                                        inference::ServerReadyResponse* response) override;
  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* context,
                                       const inference::ModelReadyRequest* request,
                                       inference::ModelReadyResponse* response) override;
  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* context,
                                           const inference::ServerMetadataRequest* request,
                                           inference::ServerMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* context,
                                          const inference::ModelMetadataRequest* request,
                                          inference::ModelMetadataResponse* response) override;
  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* context,
                                       const inference::ModelInferRequest* request,
                                       inference::ModelInferResponse* response) override;
  grpc::ServerBidiReactor<inference::ModelInferRequest, inference::ModelStreamInferResponse>*
  ModelStreamInfer(grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ModelConfig(grpc::CallbackServerContext* context,
                                        const inference::ModelConfigRequest* request,
                                        inference::ModelConfigResponse* response) override;
  grpc::ServerUnaryReactor* ModelStatistics(grpc::CallbackServerContext* context,
                                            const inference::ModelStatisticsRequest* request,
                                            inference::ModelStatisticsResponse* response) override;
  grpc::ServerUnaryReactor* RepositoryIndex(grpc::CallbackServerContext* context,
                                            const inference::RepositoryIndexRequest* request,
                                            inference::RepositoryIndexResponse* response) override;
  grpc::ServerUnaryReactor* RepositoryModelLoad(
      grpc::CallbackServerContext* context, const inference::RepositoryModelLoadRequest* request,
      inference::RepositoryModelLoadResponse* response) override;
  grpc::ServerUnaryReactor* RepositoryModelUnload(
      grpc::CallbackServerContext* context, const inference::RepositoryModelUnloadRequest* request,
      inference::RepositoryModelUnloadResponse* response) override;

 private:
  // A new call of `rpc`, admitted by the guard; when the guard refuses,
  // the call is already finished and `*admitted` is false.
  UnaryCall* Begin(grpc::CallbackServerContext* context, std::string_view rpc, Access access,
                   bool* admitted) const;

  const Options options_;
};

}  // namespace inferd::grpc_api
