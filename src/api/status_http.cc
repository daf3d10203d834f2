#include "api/status_http.h"

namespace inferd {

int HttpStatusFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk: return 200;
    case absl::StatusCode::kInvalidArgument: return 400;
    case absl::StatusCode::kUnauthenticated: return 401;
    case absl::StatusCode::kPermissionDenied: return 403;
    case absl::StatusCode::kNotFound: return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition: return 409;
    case absl::StatusCode::kOutOfRange: return 413;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable: return 503;
    case absl::StatusCode::kDeadlineExceeded: return 504;
    case absl::StatusCode::kCancelled: return 499;  // client closed the request
    default: return 500;
  }
}

HttpResponse ErrorResponse(const absl::Status& status) {
  const int code = HttpStatusFor(status);
  HttpResponse response = JsonError(code, std::string(status.message()));
  if (code == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

}  // namespace inferd
