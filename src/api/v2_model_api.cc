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
  return context->service->Model(request.param("model"), request.param("version"));
}

// Outputs up to this many bytes are encoded where they are produced.
constexpr size_t kInlineEncodeBytes = 16 << 10;

size_t OutputBytes(const InferenceResponse& response) {
  size_t bytes = 0;
  for (const NamedTensor& output : response.outputs) {
    bytes += output.tensor.data.size();
    for (const std::string& s : output.tensor.strings) bytes += s.size();
  }
  return bytes;
}

}  // namespace

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

absl::StatusOr<InferCall> DecodeInferCall(const InferenceService& service,
                                          const std::string& model, const std::string& version,
                                          std::optional<std::string_view> header_length_text,
                                          std::string_view body) {
  absl::StatusOr<ModelHandle> handle = service.Model(model, version);
  if (!handle.ok()) return handle.status();
  std::optional<size_t> header_length;
  if (header_length_text) {
    size_t parsed;
    if (!absl::SimpleAtoi(absl::string_view(header_length_text->data(), header_length_text->size()),
                          &parsed)) {
      return absl::InvalidArgumentError(
          "Inference-Header-Content-Length must be a non-negative integer");
    }
    header_length = parsed;
  }
  absl::StatusOr<InferenceRequest> decoded = DecodeV2InferRequest(body, header_length);
  if (!decoded.ok()) return decoded.status();
  return service.PrepareInfer(*std::move(handle), *std::move(decoded));
}

HttpResponse InferResponse(absl::StatusOr<InferenceResponse> result) {
  if (!result.ok()) return ErrorResponse(result.status());
  EncodedResponse encoded = EncodeV2InferResponse(*result);
  HttpResponse response;
  response.content_type = std::move(encoded.content_type);
  response.body = std::move(encoded.body);
  if (encoded.json_header_length) {
    response.headers.emplace_back("Inference-Header-Content-Length",
                                  std::to_string(*encoded.json_header_length));
  }
  return response;
}

void V2ModelApi::Infer(HttpRequest&& http, Responder respond) const {
  if (context_->jobs && context_->jobs->MaybeSubmit("infer", http, respond)) return;
  const absl::Time started = absl::Now();
  absl::StatusOr<InferCall> call =
      DecodeInferCall(*context_->service, http.param("model"), http.param("version"),
                      http.header("inference-header-content-length"), http.body);
  if (!call.ok()) return respond(ErrorResponse(call.status()));

  // The cache key hashes the decoded inputs, so it is built before Infer()
  // moves them into the scheduler.
  std::optional<cache::CacheKey> key;
  if (context_->cache && call->model->config().response_cache().enable()) {
    absl::StatusOr<cache::CacheKey> built = cache::CacheKeyBuilder::ForInferRequest(
        "infer", call->model->name(), call->model->version_string(), *call->request);
    if (!built.ok()) return respond(ErrorResponse(built.status()));
    key = *built;
  }
  auto compute = [service = context_->service, codec = context_->codec_pool,
                  call = *std::move(call), cancel = http.cancel](Responder done) mutable {
    // Large outputs are encoded on the codec pool, so the executor goes on
    // to its next batch; small ones (the common case: a few KiB) cost less
    // to encode than the hand-over to another thread (measured: ~10% of
    // `simple`'s throughput), so the executor encodes them itself.
    service->Infer(std::move(call), cancel,
                   [codec, done = std::move(done)](absl::StatusOr<InferenceResponse> result) {
                     if (!result.ok() || OutputBytes(*result) <= kInlineEncodeBytes) {
                       return done(InferResponse(std::move(result)));
                     }
                     auto shared = std::make_shared<absl::StatusOr<InferenceResponse>>(
                         std::move(result));
                     codec->Post([shared, done] { done(InferResponse(std::move(*shared))); });
                   });
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

}  // namespace inferd
