#include "grpc/grpc_infer_runner.h"

#include <optional>
#include <utility>

#include "api/cache_key_builder.h"
#include "api/cache_metrics.h"
#include "cache/response_cache.h"
#include "grpc/grpc_infer_codec.h"

namespace inferd::grpc_api {
namespace {

// Cache entries of gRPC answers hold the serialized ModelInferResponse; the
// key's route keeps them apart from the HTTP routes' entries.
constexpr std::string_view kCacheRoute = "grpc:ModelInfer";
constexpr std::string_view kCacheContentType = "application/grpc+proto";

}  // namespace

void RunGrpcInfer(const ApiContext& context, const inference::ModelInferRequest& request,
                  const std::shared_ptr<CancelSignal>& cancel,
                  inference::ModelInferResponse* response,
                  std::function<void(const absl::Status&)> done) {
  const absl::Time started = absl::Now();
  absl::StatusOr<ModelHandle> model =
      context.service->Model(request.model_name(), request.model_version());
  if (!model.ok()) return done(model.status());
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(request);
  if (!decoded.ok()) return done(decoded.status());
  absl::StatusOr<InferCall> call = context.service->PrepareInfer(*model, *std::move(decoded));
  if (!call.ok()) return done(call.status());

  // The key hashes the decoded inputs, so it is built before Infer() moves
  // them into the scheduler.
  cache::ResponseCache* cache = context.cache;
  std::optional<cache::CacheKey> key;
  // A classification answer depends on more than the key holds: it
  // bypasses the cache, as over HTTP.
  bool cacheable = true;
  for (const RequestedOutput& output : call->request->outputs) {
    if (output.classification) cacheable = false;
  }
  if (cacheable && cache != nullptr && call->model->config().response_cache().enable()) {
    absl::StatusOr<cache::CacheKey> built = cache::CacheKeyBuilder::ForInferRequest(
        kCacheRoute, call->model->name(), call->model->version_string(), *call->request);
    if (!built.ok()) return done(built.status());
    key = *built;
    if (cache::CachedResponsePtr hit = cache->Lookup(*key);
        hit != nullptr && response->ParseFromString(hit->body)) {
      if (context.cache_metrics != nullptr) {
        context.cache_metrics->HitServed(absl::ToDoubleSeconds(absl::Now() - started));
      }
      return done(absl::OkStatus());
    }
  }
  context.service->Infer(
      *std::move(call), cancel,
      [response, cache, key, done = std::move(done)](absl::StatusOr<InferenceResponse> result) {
        if (!result.ok()) return done(result.status());
        EncodeGrpcInferResponse(*std::move(result), response);
        if (key) {
          auto entry = std::make_shared<cache::CachedResponse>();
          entry->content_type = kCacheContentType;
          response->SerializeToString(&entry->body);
          cache->Insert(*key, std::move(entry));
        }
        done(absl::OkStatus());
      });
}

}  // namespace inferd::grpc_api
