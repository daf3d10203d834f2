#pragma once

// KServe v2 model endpoints: metadata, readiness, config and infer.
//
//   GET  /v2/models/{model}[/versions/{version}]
//   GET  /v2/models/{model}[/versions/{version}]/ready
//   GET  /v2/models/{model}[/versions/{version}]/config
//   POST /v2/models/{model}[/versions/{version}]/infer
//
// Infer decodes on the calling (I/O) thread, runs on the model's executor
// and encodes the response there, then hands it to the Responder. With
// `Prefer: respond-async` it becomes a job (JobsApi); for models with
// response_cache { enable: true } it answers through the response cache.

#include <memory>
#include <vector>

#include "api/api_context.h"
#include "http/route_table.h"
#include "tensor/inference_request.h"

namespace inferd {

class V2ModelApi {
 public:
  explicit V2ModelApi(const ApiContext* context) : context_(context) {}

  void Register(RouteTable& routes);

  void Metadata(const HttpRequest& request, Responder respond) const;
  void Ready(const HttpRequest& request, Responder respond) const;
  void Config(const HttpRequest& request, Responder respond) const;
  void Infer(HttpRequest&& request, Responder respond) const;

 private:
  // Queues the decoded request on the model's scheduler and answers with
  // the encoded outputs. `cancel` drops it when the client goes away.
  static void Run(const ModelHandle& handle, std::shared_ptr<InferenceRequest> request,
                  const std::vector<size_t>& selected, int64_t rows, CancelSignal& cancel,
                  Responder respond);

  const ApiContext* context_;
};

}  // namespace inferd
