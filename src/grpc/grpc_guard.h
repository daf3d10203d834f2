#pragma once

// API keys, scopes and rate limits for gRPC calls: the same keys, scopes
// and limits as the HTTP route guard (server/route_guard.h), read from call
// metadata instead of headers.
//
//   key      `authorization: Bearer <key>` or `x-api-key: <key>` metadata
//   scopes   ServerLive and ServerReady are open (health probes, as
//            /v2/health/* are); the Repository* RPCs need "admin"; every
//            other RPC needs "infer"
//   limits   the key's limits, or per client address without keys when an
//            anonymous limit is set (shared with HTTP: one client, one
//            bucket, whichever transport it uses)
//
// Refusals: UNAUTHENTICATED (no, malformed or unknown key), PERMISSION_DENIED
// (a key without the scope), RESOURCE_EXHAUSTED (over a limit; with
// `retry-after` seconds in the trailing metadata).
//
// Thread-safe. The key ring and limiter are not owned and must outlive it.

#include <memory>
#include <string>
#include <string_view>

#include "auth/key_ring.h"
#include "auth/rate_limiter.h"
#include "grpcpp/server_context.h"
#include "metrics/metrics_registry.h"

namespace inferd::grpc_api {

enum class Access { kOpen, kInfer, kAdmin };

class GrpcGuard {
 public:
  struct Options {
    const auth::KeyRing* keys = nullptr;   // null: API keys are off
    auth::RateLimiter* limiter = nullptr;  // required when keys or `anonymous` apply
    auth::RateLimits anonymous;            // per client address while keys are off
    MetricsRegistry* metrics = nullptr;    // optional: inferd_ratelimit_rejected_total
  };
  explicit GrpcGuard(Options options);

  // Admits the call `rpc` that needs `access`: OK, with `*permit` set to what
  // the call must hold until it ends (null when no limit applies), or the
  // status to finish the call with.
  grpc::Status Admit(grpc::ServerContextBase* context, std::string_view rpc, Access access,
                     std::shared_ptr<void>* permit) const;

 private:
  grpc::Status Limited(grpc::ServerContextBase* context, const std::string& client_id,
                       const std::string& label, const auth::RateLimits& limits,
                       std::shared_ptr<void>* permit) const;

  const Options options_;
  Family<Counter>* rejected_ = nullptr;
};

// The address of a gRPC peer ("ipv4:127.0.0.1:5000" -> "127.0.0.1",
// "ipv6:[::1]:5000" -> "::1"); the peer string itself when it has another form.
std::string PeerAddress(std::string_view peer);

}  // namespace inferd::grpc_api
