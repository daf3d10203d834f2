#include "api/job_executor.h"

#include <future>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/strings/match.h"
#include "api/job_outcome.h"
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

}  // namespace

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
    if (!call.ok()) return JobOutcomeOfStatus(call.status());
    std::promise<absl::StatusOr<InferenceResponse>> answered;
    auto answer = answered.get_future();
    auto shared = std::make_shared<decltype(answered)>(std::move(answered));
    service.Infer(*std::move(call), nullptr, [shared](absl::StatusOr<InferenceResponse> result) {
      shared->set_value(std::move(result));
    });
    absl::StatusOr<InferenceResponse> result = answer.get();
    if (!result.ok()) return JobOutcomeOfStatus(result.status());
    // Encoded here, on the job worker, with the route's own encoder.
    return JobOutcomeOf(InferResponse(*std::move(result)));
  }
  if (request.route == "predict") {
    const absl::Time started = absl::Now();
    absl::StatusOr<std::shared_ptr<TaskCall>> call = DecodePredictCall(
        service, request.model, request.version, request.input.content_type,
        request.input.body, options_.max_instances, nullptr);
    if (!call.ok()) return JobOutcomeOfStatus(call.status());
    ModelHandle model = (*call)->model;
    std::promise<absl::StatusOr<TaskOutcome>> answered;
    auto answer = answered.get_future();
    auto shared = std::make_shared<decltype(answered)>(std::move(answered));
    service.Predict(*std::move(call), [shared](absl::StatusOr<TaskOutcome> outcome) {
      shared->set_value(std::move(outcome));
    });
    absl::StatusOr<TaskOutcome> outcome = answer.get();
    if (!outcome.ok()) return JobOutcomeOfStatus(outcome.status());
    return JobOutcomeOf(PredictResponse(outcome, *model, job.id, started));
  }
  (void)cancel;  // jobs are not interrupted once running (see JobWorkerPool)
  return jobs::JobOutcome::Permanent(StrCat("unknown route \"", request.route, "\""));
}

}  // namespace inferd
