#include "api/predict_api.h"

#include <random>

#include "api/cache_key_builder.h"
#include "api/cached_response.h"
#include "api/jobs_api.h"
#include "api/predict_request.h"
#include "api/status_http.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd {

namespace json = boost::json;

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}", random());
}

absl::StatusOr<std::shared_ptr<TaskCall>> DecodePredictCall(
    const InferenceService& service, const std::string& model, const std::string& version,
    std::string_view content_type, const std::string& body, size_t max_instances,
    std::shared_ptr<CancelSignal> cancel) {
  absl::StatusOr<ModelHandle> handle = service.Model(model, version);
  if (!handle.ok()) return handle.status();
  absl::StatusOr<PredictRequest> decoded = ParsePredictRequest(content_type, body);
  if (!decoded.ok()) {
    if (const ModelMetrics* metrics = (*handle)->metrics()) metrics->Fail(FailureReason::kInvalid);
    return decoded.status();
  }
  if (decoded->instances.size() > max_instances) {
    if (const ModelMetrics* metrics = (*handle)->metrics()) metrics->Fail(FailureReason::kInvalid);
    return absl::OutOfRangeError(StrCat("the request has ", decoded->instances.size(),
                                        " instances; at most ", max_instances,
                                        " are accepted per request (--max-instances)"));
  }
  return service.PreparePredict(*std::move(handle), *std::move(decoded), std::move(cancel));
}

HttpResponse PredictResponse(const absl::StatusOr<TaskOutcome>& outcome, const ModelVersion& model,
                             const std::string& request_id, absl::Time started) {
  if (!outcome.ok()) return ErrorResponse(outcome.status());
  json::array predictions;
  predictions.reserve(outcome->predictions.size());
  std::string first_error;
  for (const absl::StatusOr<json::value>& prediction : outcome->predictions) {
    if (prediction.ok()) {
      predictions.push_back(*prediction);
    } else {
      if (first_error.empty()) first_error = std::string(prediction.status().message());
      predictions.push_back(json::object{{"error", std::string(prediction.status().message())}});
    }
  }
  json::object body{
      {"predictions", std::move(predictions)},
      {"model_name", model.name()},
      {"model_version", model.version_string()},
      {"request_id", request_id},
      {"inference_time_ms", absl::ToDoubleMilliseconds(absl::Now() - started)},
      {"success_count", outcome->succeeded},
      {"failure_count", outcome->failed},
  };
  int status = 200;
  if (outcome->succeeded == 0) {
    status = 400;
    body["error"] = StrCat("every instance failed; the first: ", first_error);
  }
  return JsonBody(status, json::serialize(body));
}

void PredictApi::Predict(HttpRequest&& http, Responder respond) const {
  if (context_->jobs && context_->jobs->MaybeSubmit("predict", http, respond)) return;
  const absl::Time started = absl::Now();
  std::string request_id(http.header("x-request-id").value_or(""));
  if (request_id.empty()) request_id = NewRequestId();
  auto shared = std::make_shared<HttpRequest>(std::move(http));
  auto respond_shared = std::make_shared<Responder>(std::move(respond));
  const ApiContext* context = context_;
  const size_t max_instances = options_.max_instances;
  // Parsing (JSON, multipart, base64) runs on the pool, not the I/O thread.
  options_.pool->Post([shared, respond_shared, context, max_instances, started,
                       request_id = std::move(request_id)] {
    const InferenceService* service = context->service;
    const std::string_view content_type = shared->header("content-type").value_or("");
    absl::StatusOr<std::shared_ptr<TaskCall>> call = DecodePredictCall(
        *service, shared->param("model"), shared->param("version"), content_type,
        shared->body, max_instances, shared->cancel);
    if (!call.ok()) return (*respond_shared)(ErrorResponse(call.status()));
    ModelHandle model = (*call)->model;
    auto compute = [service, call = *std::move(call), model, started,
                    request_id](Responder done) mutable {
      service->Predict(std::move(call), [done = std::move(done), model, started, request_id](
                                            absl::StatusOr<TaskOutcome> outcome) {
        done(PredictResponse(outcome, *model, request_id, started));
      });
    };
    if (!context->cache || !model->config().response_cache().enable()) {
      return compute([respond_shared](HttpResponse response) {
        TagCache(response, "bypass");
        (*respond_shared)(std::move(response));
      });
    }
    // The key is the body as sent (and its content type): the same body
    // gives the same predictions. A hit answers the stored bytes, with the
    // request_id and inference_time_ms of the request that computed them.
    absl::StatusOr<cache::CacheKey> key =
        cache::CacheKeyBuilder("predict", model->name(), model->version_string())
            .AddParameter("content-type", content_type)
            .AddParameter("body", shared->body)
            .Build();
    if (!key.ok()) return (*respond_shared)(ErrorResponse(key.status()));
    RespondThroughCache(context->cache, context->cache_metrics, *key,
                        ParseCacheDirectives(*shared), started, std::move(compute),
                        [respond_shared](HttpResponse response) {
                          (*respond_shared)(std::move(response));
                        });
  });
}

}  // namespace inferd
