#pragma once

// The gRPC status for an inferd error, chosen so that a gRPC client sees the
// code that matches the HTTP status the same error gets on the HTTP routes
// (api/status_http.h):
//
//   400 INVALID_ARGUMENT   404 NOT_FOUND        409 FAILED_PRECONDITION /
//   401 UNAUTHENTICATED    503 UNAVAILABLE          ALREADY_EXISTS
//   403 PERMISSION_DENIED  504 DEADLINE_EXCEEDED  500 INTERNAL
//   429 RESOURCE_EXHAUSTED (rate limits; see grpc_guard.h)
//
// absl and gRPC number their codes alike, so most map to themselves; the
// exception is ResourceExhausted inside the server (a full queue), which
// HTTP answers 503 and gRPC therefore UNAVAILABLE: RESOURCE_EXHAUSTED is
// kept for the caller's own rate limit. Pure functions; thread-safe.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace inferd::grpc_api {

grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace inferd::grpc_api
