#pragma once

// Applies API keys, scopes and rate limits at route dispatch: wraps each
// route's handler so that a request reaches it only with a valid key that
// has the route's scope (server/route_policy.h) and within its key's rate
// limits. The handler then sees the caller in HttpRequest::caller (jobs
// are owned by it) and charges generated tokens through
// HttpRequest::charge_tokens.
//
// Answers, as JSON ({"error": "..."}; OpenAI's error object on the OpenAI
// routes):
//   401  no key, a malformed Authorization header, or an unknown key; with
//        WWW-Authenticate: Bearer realm="inferd" (RFC 6750)
//   403  a valid key without the route's scope
//   429  over a limit; with Retry-After and RateLimit-Limit,
//        RateLimit-Remaining, RateLimit-Reset (admitted requests of a
//        limited key carry the RateLimit-* headers too)
// The key is read from `Authorization: Bearer <key>` or `X-API-Key: <key>`.
//
// With keys off, requests are anonymous: open, unless an anonymous limit
// is set, which then applies per client IP address. A route that needs no
// check keeps its handler unwrapped, so the guard costs nothing there.
//
// Thread-safe: the wrapped handlers run on any thread. The guard, its key
// ring and its limiter must outlive the route table.

#include <string>

#include "auth/key_ring.h"
#include "auth/rate_limiter.h"
#include "http/route_table.h"
#include "metrics/metrics_registry.h"
#include "server/route_policy.h"

namespace inferd {

class RouteGuard {
 public:
  struct Options {
    const auth::KeyRing* keys = nullptr;  // null: API keys are off
    auth::RateLimiter* limiter = nullptr;  // required when keys or `anonymous` apply
    auth::RateLimits anonymous;            // per client IP while keys are off
    bool metrics_open = false;             // /metrics without a key
    MetricsRegistry* metrics = nullptr;    // optional: inferd_ratelimit_rejected_total
  };
  explicit RouteGuard(Options options);

  // `handler` behind the checks that the route `method` `pattern` needs.
  RouteTable::Handler Wrap(const std::string& method, const std::string& pattern,
                           RouteTable::Handler handler) const;

  // Whether /metrics is open (--metrics-open), for the API's document.
  bool metrics_open() const { return options_.metrics_open; }

 private:
  // Authenticates and authorizes (when keys are on), then rate-limits.
  void Guarded(const RoutePolicy& policy, const std::string& route,
               const RouteTable::Handler& handler, HttpRequest&& request,
               Responder respond) const;
  // Admits the request under `limits` of `client_id` (`label` in metrics)
  // and runs the handler, or answers 429.
  void Limited(const RoutePolicy& policy, const std::string& client_id, const std::string& label,
               const auth::RateLimits& limits, const RouteTable::Handler& handler,
               HttpRequest&& request, Responder respond) const;

  const Options options_;
  Family<Counter>* rejected_ = nullptr;
};

}  // namespace inferd
