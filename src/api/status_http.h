#pragma once

// How a Status becomes an HTTP error, in one place, following DESIGN.md:
// InvalidArgument 400, NotFound 404, FailedPrecondition 409, OutOfRange 413,
// Unavailable 503 (with Retry-After), DeadlineExceeded 504,
// ResourceExhausted 503, anything else 500.

#include "absl/status/status.h"
#include "http/http_message.h"

namespace inferd {

int HttpStatusFor(const absl::Status& status);

// {"error": message} with the mapped status code.
HttpResponse ErrorResponse(const absl::Status& status);

}  // namespace inferd
