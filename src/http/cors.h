#pragma once

// Cross-origin resource sharing (CORS) for browser clients: which origins
// may call the server from a web page, the answer to their preflight
// requests, and the headers every answer to them carries.
//
// Off (no origins) by default: then no request is treated specially and no
// answer carries a CORS header. With origins, a preflight (OPTIONS with
// Origin and Access-Control-Request-Method) from an allowed origin is
// answered 204 by the server itself, before routing and before any API key
// check (browsers send preflights without credentials); a preflight from
// another origin gets 403. Other requests run as usual; an answer to an
// allowed origin gets Access-Control-Allow-Origin and the headers a page may
// read (Access-Control-Expose-Headers).
//
// Immutable after construction; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "http/http_message.h"

namespace inferd {

class CorsPolicy {
 public:
  // `origins`: "*" (any origin), or origins as browsers send them
  // ("https://app.example.com", scheme and host, and the port when not the
  // scheme's default). Empty: CORS off. InvalidArgument names a malformed one.
  static absl::StatusOr<CorsPolicy> Create(const std::vector<std::string>& origins);
  CorsPolicy() = default;

  bool enabled() const { return any_origin_ || !origins_.empty(); }

  // Whether `request` is a CORS preflight this policy answers.
  bool IsPreflight(const HttpRequest& request) const;
  // The answer to a preflight: 204 with the allowed methods and headers, or
  // 403 for an origin that is not allowed.
  HttpResponse Preflight(const HttpRequest& request) const;
  // Adds the CORS headers to `response` to a request whose Origin header
  // was `origin` (empty: none) when that origin is allowed.
  void Decorate(std::string_view origin, HttpResponse& response) const;

 private:
  // The Access-Control-Allow-Origin value for `origin`; nullopt when it may
  // not call.
  std::optional<std::string> AllowedOrigin(std::string_view origin) const;

  bool any_origin_ = false;
  std::vector<std::string> origins_;
};

}  // namespace inferd
