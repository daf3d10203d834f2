#include "api/v2_model_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/cached_response.h"
#include "api/jobs_api.h"
#include "api/status_http.h"
#include "api/cache_key_builder.h"
#include "boost/json.hpp"
#include "config/model_config_loader.h"
#include "tensor/v2_codec.h"

namespace inferd {
namespace {

namespace json = boost::json;

json::array TensorMetadata(const ModelSignature& signature,
                           const std::vector<TensorSpec>& specs) {
  json::array out;
  for (const TensorSpec& spec : specs) {
    json::array shape;
    for (int64_t d : signature.ClientShape(spec)) shape.emplace_back(d);
    out.emplace_back(json::object{{"name", spec.name},
                                  {"datatype", DataTypeName(spec.dtype)},
                                  {"shape", std::move(shape)}});
  }
  return out;
}

absl::StatusOr<ModelHandle> HandleFor(const ApiContext* context,
                                      const HttpRequest& request) {
  return context->repository->Get(request.param("model"), request.param("version"));
}

// Builds the response from the model's outputs: the requested ones, in the
// requested order, each flagged binary or JSON.
InferenceResponse BuildResponse(const ModelVersion& model,
                                const InferenceRequest& request,
                                const std::vector<size_t>& selected,
                                std::vector<Tensor> outputs) {
  InferenceResponse response;
  response.model_name = model.name();
  response.model_version = model.version_string();
  response.id = request.id;
  for (size_t k = 0; k < selected.size(); ++k) {
    const size_t index = selected[k];
    response.outputs.push_back(
        NamedTensor{model.signature().outputs()[index].name, outputs[index]});
    bool binary = request.binary_data_output;
    if (!request.outputs.empty() && request.outputs[k].binary_data) {
      binary = *request.outputs[k].binary_data;
    }
    response.binary.push_back(binary);
  }
  return response;
}

}  // namespace

void V2ModelApi::Register(RouteTable& routes) {
  for (const char* prefix : {"/v2/models/{model}", "/v2/models/{model}/versions/{version}"}) {
    const std::string base = prefix;
    routes.Add("GET", base, [this](HttpRequest&& r, Responder respond) {
      Metadata(r, std::move(respond));
    });
    routes.Add("GET", base + "/ready", [this](HttpRequest&& r, Responder respond) {
      Ready(r, std::move(respond));
    });
    routes.Add("GET", base + "/config", [this](HttpRequest&& r, Responder respond) {
      Config(r, std::move(respond));
    });
    routes.Add("POST", base + "/infer", [this](HttpRequest&& r, Responder respond) {
      Infer(std::move(r), std::move(respond));
    });
  }
}

void V2ModelApi::Metadata(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = HandleFor(context_, request);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  // ReadyVersions() reads only memory; Index() would also scan the folder.
  json::array versions;
  for (const ModelHandle& ready : context_->repository->ReadyVersions()) {
    if (ready->name() == (*model)->name()) versions.emplace_back(ready->version_string());
  }
  const ModelSignature& signature = (*model)->signature();
  json::object body{
      {"name", (*model)->name()},
      {"versions", std::move(versions)},
      {"platform", (*model)->config().platform()},
      {"inputs", TensorMetadata(signature, signature.inputs())},
      {"outputs", TensorMetadata(signature, signature.outputs())},
  };
  respond(JsonBody(200, json::serialize(body)));
}

void V2ModelApi::Ready(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = HandleFor(context_, request);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  json::object body{{"name", (*model)->name()},
                    {"version", (*model)->version_string()},
                    {"ready", true}};
  respond(JsonBody(200, json::serialize(body)));
}

void V2ModelApi::Config(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = HandleFor(context_, request);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  respond(JsonBody(200, ModelConfigToJson((*model)->config())));
}

void V2ModelApi::Infer(HttpRequest&& http, Responder respond) const {
  if (context_->jobs && context_->jobs->MaybeSubmit("infer", http, respond)) return;
  const absl::Time started = absl::Now();
  absl::StatusOr<ModelHandle> model = HandleFor(context_, http);
  if (!model.ok()) return respond(ErrorResponse(model.status()));

  std::optional<size_t> header_length;
  if (auto value = http.header("inference-header-content-length")) {
    size_t parsed;
    if (!absl::SimpleAtoi(absl::string_view(value->data(), value->size()), &parsed)) {
      return respond(JsonError(
          400, "Inference-Header-Content-Length must be a non-negative integer"));
    }
    header_length = parsed;
  }
  absl::StatusOr<InferenceRequest> decoded = DecodeV2InferRequest(http.body, header_length);
  if (!decoded.ok()) return respond(ErrorResponse(decoded.status()));
  auto request = std::make_shared<InferenceRequest>(*std::move(decoded));

  const ModelSignature& signature = (*model)->signature();
  const ModelMetrics* metrics = (*model)->metrics();
  absl::StatusOr<int64_t> batch = signature.ValidateRequest(*request);
  if (!batch.ok()) {
    if (metrics) metrics->Fail(FailureReason::kInvalid);
    return respond(ErrorResponse(batch.status()));
  }
  absl::StatusOr<std::vector<size_t>> selected = signature.SelectOutputs(*request);
  if (!selected.ok()) {
    if (metrics) metrics->Fail(FailureReason::kInvalid);
    return respond(ErrorResponse(selected.status()));
  }

  // The cache key hashes the decoded inputs, so it is built before Run()
  // moves them into the scheduler.
  std::optional<cache::CacheKey> key;
  if (context_->cache && (*model)->config().response_cache().enable()) {
    absl::StatusOr<cache::CacheKey> built = cache::CacheKeyBuilder::ForInferRequest(
        "infer", (*model)->name(), (*model)->version_string(), *request);
    if (!built.ok()) return respond(ErrorResponse(built.status()));
    key = *built;
  }
  auto compute = [handle = *model, request, selected = *std::move(selected), rows = *batch,
                  cancel = http.cancel](Responder done) {
    Run(handle, request, selected, rows, *cancel, std::move(done));
  };
  if (!key) {
    return compute([respond = std::move(respond)](HttpResponse response) {
      TagCache(response, "bypass");
      respond(std::move(response));
    });
  }
  RespondThroughCache(context_->cache, context_->cache_metrics, *key, ParseCacheDirectives(http),
                      started, std::move(compute), std::move(respond));
}

void V2ModelApi::Run(const ModelHandle& handle, std::shared_ptr<InferenceRequest> request,
                     const std::vector<size_t>& selected, int64_t rows, CancelSignal& cancel,
                     Responder respond) {
  std::vector<Tensor> inputs;
  inputs.reserve(request->inputs.size());
  for (NamedTensor& input : request->inputs) inputs.push_back(std::move(input.tensor));

  auto respond_shared = std::make_shared<Responder>(std::move(respond));
  ModelScheduler::Request work;
  work.inputs = std::move(inputs);
  work.rows = rows;
  if (request->priority) work.priority = static_cast<uint32_t>(*request->priority);
  if (request->timeout_us) {
    work.timeout = absl::Microseconds(static_cast<int64_t>(*request->timeout_us));
  }
  work.done = [handle, request, selected,
               respond_shared](absl::StatusOr<std::vector<Tensor>> outputs) {
        if (!outputs.ok()) return (*respond_shared)(ErrorResponse(outputs.status()));
        EncodedResponse encoded = EncodeV2InferResponse(
            BuildResponse(*handle, *request, selected, *std::move(outputs)));
        HttpResponse response;
        response.content_type = std::move(encoded.content_type);
        response.body = std::move(encoded.body);
        if (encoded.json_header_length) {
          response.headers.emplace_back("Inference-Header-Content-Length",
                                        std::to_string(*encoded.json_header_length));
        }
        (*respond_shared)(std::move(response));
      };
  absl::StatusOr<ModelScheduler::RequestId> queued =
      handle->scheduler().Enqueue(std::move(work));
  if (!queued.ok()) return (*respond_shared)(ErrorResponse(queued.status()));
  cancel.OnCancel([handle, id = *queued] { handle->scheduler().Cancel(id); });
}

}  // namespace inferd
