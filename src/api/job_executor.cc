#include "api/job_executor.h"

#include <future>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/strings/match.h"
#include "api/predict_api.h"
#include "api/status_http.h"
#include "api/v2_model_api.h"
#include "common/strings.h"

namespace inferd {
namespace {

constexpr std::string_view kHeaderLength = "inference-header-content-length";

std::optional<std::string_view> HeaderLength(const jobs::JobPayload& input) {
  for (const auto& [name, value] : input.headers) {
    if (absl::EqualsIgnoreCase(name, ToAbsl(kHeaderLength))) return value;
  }
  return std::nullopt;
}

jobs::JobPayload PayloadOf(HttpResponse response) {
  jobs::JobPayload payload;
  payload.http_status = response.status;
  payload.content_type = std::move(response.content_type);
  for (auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, ToAbsl(kHeaderLength))) {
      payload.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  payload.body = std::move(response.body);
  return payload;
}

// A failed attempt: retried or final by its code; a final one keeps the
// route's error answer as its result.
jobs::JobOutcome Failure(const absl::Status& status) {
  std::string error = StrCat(HttpStatusFor(status), ": ", status.message());
  if (JobExecutor::IsRetryable(status)) return jobs::JobOutcome::Retryable(std::move(error));
  jobs::JobOutcome outcome = jobs::JobOutcome::Permanent(std::move(error));
  outcome.result = PayloadOf(ErrorResponse(status));
  return outcome;
}

// The route's answer as the job's outcome: 2xx succeeded; a route that
// answers an error body (every :predict instance failed) failed for good.
jobs::JobOutcome FromResponse(HttpResponse response, const absl::Status& status) {
  if (!status.ok()) return Failure(status);
  if (response.status >= 200 && response.status < 300) {
    return jobs::JobOutcome::Success(PayloadOf(std::move(response)));
  }
  jobs::JobOutcome outcome = jobs::JobOutcome::Permanent(StrCat(response.status, ": the route answered an error"));
  outcome.result = PayloadOf(std::move(response));
  return outcome;
}

}  // namespace

bool JobExecutor::IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

absl::Status JobExecutor::Validate(const jobs::JobRequest& request) const {
  const InferenceService& service = *context_->service;
  absl::Status status;
  if (request.route == "infer") {
    status = DecodeInferCall(service, request.model, request.version,
                             HeaderLength(request.input), request.input.body)
                 .status();
  } else if (request.route == "predict") {
    status = DecodePredictCall(service, request.model, request.version,
                               request.input.content_type, request.input.body,
                               options_.max_instances, nullptr)
                 .status();
  } else {
    return absl::InvalidArgumentError(
        StrCat("\"route\" must be \"infer\" or \"predict\", got \"", request.route, "\""));
  }
  // A model that is loading (or reloading) may be ready when the job runs.
  if (absl::IsUnavailable(status)) return absl::OkStatus();
  return status;
}

jobs::JobOutcome JobExecutor::Execute(const jobs::Job& job,
                                      const jobs::JobCancellation& cancel) const {
  const InferenceService& service = *context_->service;
  const jobs::JobRequest& request = job.request;
  if (request.route == "infer") {
    absl::StatusOr<InferCall> call = DecodeInferCall(
        service, request.model, request.version, HeaderLength(request.input), request.input.body);
    if (!call.ok()) return Failure(call.status());
    std::promise<absl::StatusOr<InferenceResponse>> answered;
    auto answer = answered.get_future();
    auto shared = std::make_shared<decltype(answered)>(std::move(answered));
    service.Infer(*std::move(call), nullptr, [shared](absl::StatusOr<InferenceResponse> result) {
      shared->set_value(std::move(result));
    });
    absl::StatusOr<InferenceResponse> result = answer.get();
    if (!result.ok()) return Failure(result.status());
    // Encoded here, on the job worker, with the route's own encoder.
    return FromResponse(InferResponse(*std::move(result)), absl::OkStatus());
  }
  if (request.route == "predict") {
    const absl::Time started = absl::Now();
    absl::StatusOr<std::shared_ptr<TaskCall>> call = DecodePredictCall(
        service, request.model, request.version, request.input.content_type,
        request.input.body, options_.max_instances, nullptr);
    if (!call.ok()) return Failure(call.status());
    ModelHandle model = (*call)->model;
    std::promise<absl::StatusOr<TaskOutcome>> answered;
    auto answer = answered.get_future();
    auto shared = std::make_shared<decltype(answered)>(std::move(answered));
    service.Predict(*std::move(call), [shared](absl::StatusOr<TaskOutcome> outcome) {
      shared->set_value(std::move(outcome));
    });
    absl::StatusOr<TaskOutcome> outcome = answer.get();
    if (!outcome.ok()) return Failure(outcome.status());
    return FromResponse(PredictResponse(outcome, *model, job.id, started), absl::OkStatus());
  }
  (void)cancel;  // jobs are not interrupted once running (see JobWorkerPool)
  return jobs::JobOutcome::Permanent(StrCat("unknown route \"", request.route, "\""));
}

}  // namespace inferd
