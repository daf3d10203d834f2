#include "api/predict_api.h"

#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "api/jobs_api.h"
#include "api/multipart.h"
#include "api/status_http.h"
#include "api/task_runner.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd {
namespace {

namespace json = boost::json;
using pipelines::TaskInstance;
using pipelines::TaskPipeline;

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}", random());
}

// The request, decoded: instances plus the JSON they point into.
struct Decoded {
  std::shared_ptr<json::value> body;  // JSON body or the "parameters" part
  std::vector<TaskInstance> instances;
  const json::object* parameters = nullptr;
};

absl::StatusOr<std::shared_ptr<json::value>> ParseJson(std::string_view text,
                                                       std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return absl::InvalidArgumentError(StrCat(what, " is not valid JSON: ", ec.message()));
  return std::make_shared<json::value>(std::move(value));
}

absl::StatusOr<Decoded> DecodeJson(std::string_view text) {
  Decoded out;
  absl::StatusOr<std::shared_ptr<json::value>> body = ParseJson(text, "the request body");
  if (!body.ok()) return body.status();
  out.body = *body;
  if (!out.body->is_object()) {
    return absl::InvalidArgumentError(
        "the request body must be a JSON object {\"instances\": [...]}");
  }
  const json::object& object = out.body->get_object();
  for (const auto& item : object) {
    if (item.key() != "instances" && item.key() != "parameters" &&
        item.key() != "signature_name") {
      return absl::InvalidArgumentError(
          StrCat("unknown field \"", item.key(),
                 "\"; a predict request has \"instances\" and \"parameters\""));
    }
  }
  const json::value* instances = object.if_contains("instances");
  if (instances == nullptr) return absl::InvalidArgumentError("\"instances\" is required");
  if (!instances->is_array()) {
    return absl::InvalidArgumentError("\"instances\" must be an array");
  }
  for (const json::value& instance : instances->get_array()) {
    TaskInstance task_instance;
    task_instance.json = &instance;
    out.instances.push_back(std::move(task_instance));
  }
  if (const json::value* parameters = object.if_contains("parameters")) {
    if (!parameters->is_object()) {
      return absl::InvalidArgumentError("\"parameters\" must be an object");
    }
    out.parameters = &parameters->get_object();
  }
  return out;
}

absl::StatusOr<Decoded> DecodeMultipart(std::string_view text, std::string_view boundary) {
  absl::StatusOr<std::vector<MultipartPart>> parts = ParseMultipart(text, boundary);
  if (!parts.ok()) return parts.status();
  Decoded out;
  for (MultipartPart& part : *parts) {
    if (part.name == "parameters" && part.filename.empty()) {
      absl::StatusOr<std::shared_ptr<json::value>> parameters =
          ParseJson(part.body, "the \"parameters\" part");
      if (!parameters.ok()) return parameters.status();
      if (!(*parameters)->is_object()) {
        return absl::InvalidArgumentError("the \"parameters\" part must be a JSON object");
      }
      out.body = *parameters;
      out.parameters = &out.body->get_object();
      continue;
    }
    TaskInstance instance;
    instance.bytes = std::move(part.body);
    instance.content_type = std::move(part.content_type);
    instance.filename = std::move(part.filename);
    out.instances.push_back(std::move(instance));
  }
  return out;
}

absl::StatusOr<Decoded> Decode(const HttpRequest& http) {
  const std::string content_type = absl::AsciiStrToLower(
      ToAbsl(http.header("content-type").value_or("application/json")));
  absl::StatusOr<std::optional<std::string>> boundary = MultipartBoundary(content_type);
  if (!boundary.ok()) return boundary.status();
  if (boundary->has_value()) {
    // The boundary is case-sensitive: take it from the original header.
    boundary = MultipartBoundary(*http.header("content-type"));
    return DecodeMultipart(http.body, **boundary);
  }
  if (absl::StartsWith(content_type, "image/")) {
    Decoded out;
    TaskInstance instance;
    instance.bytes = http.body;
    instance.content_type = content_type.substr(0, content_type.find(';'));
    out.instances.push_back(std::move(instance));
    return out;
  }
  if (absl::StartsWith(content_type, "application/json") ||
      absl::StartsWith(content_type, "text/plain")) {
    return DecodeJson(http.body);
  }
  return absl::InvalidArgumentError(
      StrCat("Content-Type \"", content_type,
             "\" is not application/json, multipart/form-data or image/*"));
}

// Scheduler settings from the request parameters (the task ignores them).
absl::Status ReadSchedulingParameters(const json::object* parameters, TaskCall* call) {
  if (parameters == nullptr) return absl::OkStatus();
  for (const char* name : {"priority", "timeout"}) {
    const json::value* value = parameters->if_contains(name);
    if (value == nullptr) continue;
    if (!value->is_int64() || value->get_int64() < 0) {
      return absl::InvalidArgumentError(
          StrCat("parameters.", name, " must be a non-negative integer"));
    }
    if (std::string_view(name) == "priority") {
      call->priority = static_cast<uint32_t>(value->get_int64());
    } else {
      call->timeout = absl::Microseconds(value->get_int64());
    }
  }
  return absl::OkStatus();
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
    absl::StatusOr<Decoded> decoded = Decode(*shared);
    if (!decoded.ok()) return fail(decoded.status());
    if (decoded->instances.empty()) {
      return fail(absl::InvalidArgumentError("\"instances\" must not be empty"));
    }
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
    absl::Status scheduling = ReadSchedulingParameters(decoded->parameters, call.get());
    if (!scheduling.ok()) return fail(scheduling);
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
