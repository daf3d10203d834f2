#pragma once

// The path and query of an HTTP request target (RFC 9112 3.2).
//
// Accepts the origin form ("/v2/health/live?x=1"), which clients send to a
// server, and the absolute form ("http://host:8000/v2/health/live"), which
// HTTP/1.1 servers must accept too (clients configured with a proxy send
// it). Built on Boost.URL; no state, thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace inferd {

struct RequestTarget {
  std::string path;   // percent-encoded as sent; "/" when the URI has none
  std::string query;  // percent-encoded, without '?'
};

// Returns InvalidArgument for the authority form (CONNECT), the asterisk
// form ("*"), an absolute URI whose scheme is not http or https, and any
// target that is not a valid URI reference.
absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target);

}  // namespace inferd
