#pragma once

// KServe v2 model endpoints: metadata, readiness, config and infer.
//
//   GET  /v2/models/{model}[/versions/{version}]
//   GET  /v2/models/{model}[/versions/{version}]/ready
//   GET  /v2/models/{model}[/versions/{version}]/config
//   POST /v2/models/{model}[/versions/{version}]/infer
//
// Infer decodes on the calling (I/O) thread, runs through the inference
// service (the model's scheduler), and encodes the response on the codec
// pool, or on the executor itself for outputs of at most 16 KiB (cheaper
// than the hand-over). With
// `Prefer: respond-async` it becomes a job (JobsApi); for models with
// response_cache { enable: true } it answers through the response cache.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_context.h"
#include "api/shared_memory_registry.h"
#include "http/route_table.h"
#include "serving/inference_service.h"
#include "tensor/inference_request.h"

namespace inferd {

// Decodes a v2 infer body (JSON, or JSON + binary tensors when
// `header_length` is given) for `model`/`version` and validates it through
// the inference service. The synchronous route and async jobs both use it,
// so a job is refused at submission exactly as the route would refuse it.
// Inputs in shared memory are read from `shared_memory`; without one (async
// jobs) a request that uses shared memory is a 400.
absl::StatusOr<InferCall> DecodeInferCall(const InferenceService& service,
                                          const std::string& model, const std::string& version,
                                          std::optional<std::string_view> header_length,
                                          std::string_view body,
                                          const SharedMemoryRegistry* shared_memory = nullptr);

// The route's answer for a result: the v2 response (JSON or binary) or the
// error. Outputs the request asked into shared memory are written there
// first (`request` and `shared_memory` may be null when none is).
HttpResponse InferResponse(absl::StatusOr<InferenceResponse> result,
                           const InferenceRequest* request = nullptr,
                           const SharedMemoryRegistry* shared_memory = nullptr);

class V2ModelApi {
 public:
  explicit V2ModelApi(const ApiContext* context) : context_(context) {}

  void Metadata(const HttpRequest& request, Responder respond) const;
  void Ready(const HttpRequest& request, Responder respond) const;
  void Config(const HttpRequest& request, Responder respond) const;
  void Infer(HttpRequest&& request, Responder respond) const;

 private:
  const ApiContext* context_;
};

}  // namespace inferd
