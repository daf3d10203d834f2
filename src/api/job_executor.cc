#include "api/job_executor.h"

#include <future>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/strings/match.h"
#include "api/generate_api.h"
#include "api/job_outcome.h"
#include "api/openai_api.h"
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

// The OpenAI request a chat_completions or completions job stores, prepared.
absl::StatusOr<OpenAiCall> DecodeOpenAiCall(const InferenceService& service,
                                            const jobs::JobRequest& request) {
  absl::StatusOr<OpenAiRequest> decoded = request.route == "chat_completions"
                                              ? DecodeChatRequest(request.input.body)
                                              : DecodeCompletionRequest(request.input.body);
  if (!decoded.ok()) return decoded.status();
  if (decoded->stream) {
    return absl::InvalidArgumentError("stream: a streamed response cannot be a job");
  }
  return PrepareOpenAiCall(service, *std::move(decoded));
}

// Starts work with `start(done)` and waits for `done`'s value.
template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  auto answered = std::make_shared<std::promise<absl::StatusOr<T>>>();
  auto answer = answered->get_future();
  start([answered](absl::StatusOr<T> value) { answered->set_value(std::move(value)); });
  return answer.get();
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
  } else if (request.route == "generate") {
    status = DecodeGenerateCall(service, request.model, request.version, request.input.body)
                 .status();
  } else if (request.route == "chat_completions" || request.route == "completions") {
    status = DecodeOpenAiCall(service, request).status();
  } else {
    return absl::InvalidArgumentError(
        StrCat("\"route\" must be one of infer, predict, generate, chat_completions, "
               "completions; got \"", request.route, "\""));
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
  if (request.route == "generate") {
    absl::StatusOr<GenerateCall> call =
        DecodeGenerateCall(service, request.model, request.version, request.input.body);
    if (!call.ok()) return JobOutcomeOfStatus(call.status());
    ModelHandle model = call->model;
    absl::StatusOr<GenerateResult> result = Await<GenerateResult>([&](auto done) {
      service.Generate(*std::move(call), nullptr, nullptr, std::move(done));
    });
    if (!result.ok()) return JobOutcomeOfStatus(result.status());
    return JobOutcomeOf(JsonBody(200, GenerateResponseBody(*model, *result)));
  }
  if (request.route == "chat_completions" || request.route == "completions") {
    absl::StatusOr<OpenAiCall> call = DecodeOpenAiCall(service, request);
    if (!call.ok()) return JobOutcomeOfStatus(call.status());
    absl::StatusOr<std::string> body = Await<std::string>([&](auto done) {
      RunOpenAiCall(service, *std::move(call), nullptr, std::move(done));
    });
    if (!body.ok()) return JobOutcomeOfStatus(body.status());
    return JobOutcomeOf(JsonBody(200, *std::move(body)));
  }
  (void)cancel;  // jobs are not interrupted once running (see JobWorkerPool)
  return jobs::JobOutcome::Permanent(StrCat("unknown route \"", request.route, "\""));
}

}  // namespace inferd
