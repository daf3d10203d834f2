#include "api/predict_api.h"

#include <random>

#include "api/jobs_api.h"
#include "api/predict_request.h"
#include "api/status_http.h"
#include "api/task_runner.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd {
namespace {

namespace json = boost::json;
using pipelines::TaskPipeline;

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}", random());
}

}  // namespace

void PredictApi::Register(RouteTable& routes) {
  for (const char* pattern : {"/v1/models/{model}:predict",
                              "/v1/models/{model}/versions/{version}:predict"}) {
    routes.Add("POST", pattern, [this](HttpRequest&& r, Responder respond) {
      Predict(std::move(r), std::move(respond));
    });
  }
}

void PredictApi::Predict(HttpRequest&& http, Responder respond) const {
  if (context_->jobs && context_->jobs->MaybeSubmit("predict", http, respond)) return;
  const absl::Time started = absl::Now();
  absl::StatusOr<ModelHandle> model =
      context_->repository->Get(http.param("model"), http.param("version"));
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  const auto* pipeline = dynamic_cast<const TaskPipeline*>((*model)->attachment());
  if (pipeline == nullptr) {
    return respond(JsonError(
        400, StrCat("model \"", (*model)->name(),
                    "\" declares no task (config.pbtxt parameters { key: \"task\" ... }); "
                    "use POST /v2/models/", (*model)->name(), "/infer")));
  }
  std::string request_id(http.header("x-request-id").value_or(""));
  if (request_id.empty()) request_id = NewRequestId();

  auto shared = std::make_shared<HttpRequest>(std::move(http));
  auto respond_shared = std::make_shared<Responder>(std::move(respond));
  ThreadPool* pool = options_.pool;
  const size_t max_instances = options_.max_instances;
  pool->Post([shared, respond_shared, pool, max_instances, started, pipeline,
              request_id = std::move(request_id), model = *std::move(model)] {
    const Responder& respond = *respond_shared;
    const ModelMetrics* metrics = model->metrics();
    auto fail = [&](const absl::Status& status) {
      if (metrics) metrics->Fail(FailureReason::kInvalid);
      respond(ErrorResponse(status));
    };
    absl::StatusOr<PredictRequest> decoded = ParsePredictRequest(*shared);
    if (!decoded.ok()) return fail(decoded.status());
    if (decoded->instances.size() > max_instances) {
      if (metrics) metrics->Fail(FailureReason::kInvalid);
      return respond(JsonError(
          413, StrCat("the request has ", decoded->instances.size(),
                      " instances; at most ", max_instances,
                      " are accepted per request (--max-instances)")));
    }
    auto call = std::make_shared<TaskCall>();
    call->model = model;
    call->pipeline = pipeline;
    call->body = decoded->body;
    call->instances = std::move(decoded->instances);
    call->cancel = shared->cancel;
    call->priority = decoded->priority;
    call->timeout = decoded->timeout;
    absl::StatusOr<std::unique_ptr<pipelines::TaskParameters>> parameters =
        pipeline->ParseParameters(decoded->parameters);
    if (!parameters.ok()) return fail(parameters.status());
    call->parameters = *std::move(parameters);

    RunTask(pool, call, [respond_shared, model, started,
                         request_id](absl::StatusOr<TaskOutcome> outcome) {
      if (!outcome.ok()) return (*respond_shared)(ErrorResponse(outcome.status()));
      json::array predictions;
      predictions.reserve(outcome->predictions.size());
      std::string first_error;
      for (absl::StatusOr<json::value>& prediction : outcome->predictions) {
        if (prediction.ok()) {
          predictions.push_back(*std::move(prediction));
        } else {
          if (first_error.empty()) first_error = std::string(prediction.status().message());
          predictions.push_back(
              json::object{{"error", std::string(prediction.status().message())}});
        }
      }
      json::object body{
          {"predictions", std::move(predictions)},
          {"model_name", model->name()},
          {"model_version", model->version_string()},
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
      (*respond_shared)(JsonBody(status, json::serialize(body)));
    });
  });
}

}  // namespace inferd
