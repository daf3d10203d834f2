#include "api/job_outcome.h"

#include <utility>

#include "absl/strings/match.h"
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

bool IsRetryableHttpStatus(int http_status) {
  return http_status == 429 || http_status == 499 || http_status >= 500;
}

jobs::JobOutcome JobOutcomeOf(HttpResponse response, bool cancel_requested) {
  const int status = response.status;
  if (status >= 200 && status < 300) {
    return jobs::JobOutcome::Success(PayloadOf(std::move(response)));
  }
  if (status == 499 && cancel_requested) return jobs::JobOutcome::Cancelled();
  std::string error = StrCat(status, ": ", ErrorText(response));
  if (IsRetryableHttpStatus(status)) return jobs::JobOutcome::Retryable(std::move(error));
  jobs::JobOutcome outcome = jobs::JobOutcome::Permanent(std::move(error));
  outcome.result = PayloadOf(std::move(response));
  return outcome;
}

jobs::JobOutcome JobOutcomeOfException(std::string_view what) {
  return jobs::JobOutcome::Permanent(
      StrCat("the request failed inside the server and is not retried: ", what));
}

}  // namespace inferd
