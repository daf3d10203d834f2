#pragma once

// Per-client rate limits: requests per second (a token bucket with a burst),
// requests in flight at once, and generation tokens per minute (a second
// bucket that generation responses are charged to after the fact).
//
// A client is any string id: an API key's name, or "ip:<address>" for
// anonymous clients. Its state is created on first use; limits are passed
// with every call, so a reloaded key file changes them at once while the
// client keeps its bucket levels (clamped to the new sizes). Idle anonymous
// clients are forgotten when their count grows past Options::max_idle_clients.
//
// Thread-safe: every method may be called from any thread. Time comes from
// the Clock given at construction (a FakeClock in tests).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace inferd::auth {

// What one client may do. Zero means unlimited, for each field.
struct RateLimits {
  double requests_per_second = 0;  // refill rate of the request bucket
  double burst = 0;                // request bucket size; 0: max(1, requests_per_second)
  int max_concurrent = 0;          // requests in flight at once (streams until they end)
  double tokens_per_minute = 0;    // generated tokens; the bucket holds one minute's worth

  bool any() const {
    return requests_per_second > 0 || max_concurrent > 0 || tokens_per_minute > 0;
  }
};

// The answer to one request.
struct RateDecision {
  enum class Limit { kNone, kRequests, kConcurrency, kTokens };
  // kNone: admitted. Otherwise the limit that refused the request.
  Limit rejected_by = Limit::kNone;
  // When refused: how long until the refusing limit would admit a request.
  absl::Duration retry_after = absl::ZeroDuration();
  // The quota to report in RateLimit-Limit / -Remaining / -Reset: the
  // request bucket, or the token bucket when that refused or is the only
  // bucket. has_quota is false when the client has neither.
  bool has_quota = false;
  int64_t quota_limit = 0;
  int64_t quota_remaining = 0;
  int64_t quota_reset_seconds = 0;  // until the bucket is full again
  // Admitted: hold it while the request runs (its response is streamed);
  // releasing the last copy ends the request for max_concurrent.
  std::shared_ptr<void> permit;

  bool admitted() const { return rejected_by == Limit::kNone; }
};

// "requests", "concurrency", "tokens" (a metric label); "" for kNone.
std::string_view LimitName(RateDecision::Limit limit);

class RateLimiter {
 public:
  struct Options {
    Clock* clock = nullptr;  // not owned; the real clock when null
    // Idle clients (nothing in flight, buckets full) are dropped when more
    // than this many are tracked.
    size_t max_idle_clients = 10000;
  };
  explicit RateLimiter(Options options);
  ~RateLimiter();

  // Admits one request of client `id` under `limits`, or says which limit
  // refuses it. Nothing is consumed from a refused request.
  RateDecision Admit(std::string_view id, const RateLimits& limits);

  // Takes `tokens` generated for client `id` from its token bucket (which
  // may go below zero: its next requests wait until it refills). Does
  // nothing when `limits` has no tokens_per_minute.
  void ChargeTokens(std::string_view id, const RateLimits& limits, int64_t tokens);

  // How many clients have state (for tests).
  size_t tracked_clients() const;

 private:
  struct Client;
  class Permit;
  // Refills both buckets of `client` to `now` under `limits`.
  static void Refill(Client& client, const RateLimits& limits, absl::Time now);
  std::shared_ptr<Client> ClientLocked(std::string_view id, const RateLimits& limits,
                                       absl::Time now);  // mu_ held
  void ForgetIdleLocked(absl::Time now);  // mu_ held
  void Release(Client& client);

  Clock* const clock_;
  const size_t max_idle_clients_;
  // Taken twice per limited request: a std::mutex rather than Abseil's
  // (Debian's build of absl::Mutex runs deadlock detection, a global lock
  // per acquisition). Guards everything below and every Client.
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Client>> clients_;
  // Idle clients are looked for when clients_ grows past this size.
  size_t sweep_at_;
};

}  // namespace inferd::auth
