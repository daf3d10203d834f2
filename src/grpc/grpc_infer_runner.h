#pragma once

// One gRPC inference request, from message to message: decoded
// (grpc_infer_codec.h), validated and run by the inference service on the
// model's scheduler (the same batching as HTTP), through the response cache
// for models with response_cache { enable: true }. ModelInfer and
// ModelStreamInfer both run their requests here.
//
// Thread-safe; `done` runs once, on the executor that ran the batch, or at
// once on the calling thread for an error found before queueing and for a
// cache hit. It must not block.

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "api/api_context.h"
#include "common/cancel_signal.h"
#include "grpc/grpc_service.pb.h"

namespace inferd::grpc_api {

// Fills `response` (which must live until `done` runs) and then calls
// `done` with OK, or calls `done` with the error. `cancel` drops the request
// from the model's queue.
void RunGrpcInfer(const ApiContext& context, const inference::ModelInferRequest& request,
                  const std::shared_ptr<CancelSignal>& cancel,
                  inference::ModelInferResponse* response,
                  std::function<void(const absl::Status&)> done);

}  // namespace inferd::grpc_api
