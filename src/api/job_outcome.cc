#include "api/job_outcome.h"

#include <utility>

#include "absl/strings/match.h"
#include "api/status_http.h"
#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd {
namespace {

namespace json = boost::json;

constexpr std::string_view kContentLengthHeader = "inference-header-content-length";

// The message of a JSON error body ({"error": "..."} or the OpenAI shape
// {"error": {"message": "..."}}), else "HTTP <status>".
std::string ErrorText(const HttpResponse& response) {
  boost::system::error_code ec;
  json::value parsed = json::parse(response.body, ec);
  if (!ec && parsed.is_object()) {
    if (const json::value* error = parsed.as_object().if_contains("error")) {
      if (error->is_string()) return std::string(error->as_string());
      if (error->is_object()) {
        if (const json::value* message = error->as_object().if_contains("message");
            message && message->is_string()) {
          return std::string(message->as_string());
        }
      }
    }
  }
  return StrCat("HTTP ", response.status);
}

jobs::JobPayload PayloadOf(HttpResponse response) {
  jobs::JobPayload payload;
  payload.http_status = response.status;
  payload.content_type = std::move(response.content_type);
  for (auto& [name, value] : response.headers) {
    if (absl::EqualsIgnoreCase(name, ToAbsl(kContentLengthHeader))) {
      payload.headers.emplace_back(std::move(name), std::move(value));
    }
  }
  payload.body = std::move(response.body);
  return payload;
}

}  // namespace

bool IsRetryableStatus(const absl::Status& status) {
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

jobs::JobOutcome JobOutcomeOfStatus(const absl::Status& status) {
  std::string error = StrCat(HttpStatusFor(status), ": ", status.message());
  if (IsRetryableStatus(status)) return jobs::JobOutcome::Retryable(std::move(error));
  jobs::JobOutcome outcome = jobs::JobOutcome::Permanent(std::move(error));
  outcome.result = PayloadOf(ErrorResponse(status));
  return outcome;
}

jobs::JobOutcome JobOutcomeOf(HttpResponse response) {
  const int status = response.status;
  if (status >= 200 && status < 300) {
    return jobs::JobOutcome::Success(PayloadOf(std::move(response)));
  }
  jobs::JobOutcome outcome = jobs::JobOutcome::Permanent(StrCat(status, ": ", ErrorText(response)));
  outcome.result = PayloadOf(std::move(response));
  return outcome;
}

jobs::JobOutcome JobOutcomeOfException(std::string_view what) {
  return jobs::JobOutcome::Permanent(
      StrCat("the request failed inside the server and is not retried: ", what));
}

}  // namespace inferd
