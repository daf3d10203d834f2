#include "auth/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "common/strings.h"

namespace inferd::auth {
namespace {

double RequestCapacity(const RateLimits& limits) {
  return limits.burst > 0 ? limits.burst : std::max(1.0, limits.requests_per_second);
}

// Whole seconds, rounded up, for `amount` missing at `rate` per second.
int64_t SecondsToRefill(double amount, double rate) {
  if (amount <= 0 || rate <= 0) return 0;
  return static_cast<int64_t>(std::ceil(amount / rate));
}

}  // namespace

std::string_view LimitName(RateDecision::Limit limit) {
  switch (limit) {
    case RateDecision::Limit::kNone: return "";
    case RateDecision::Limit::kRequests: return "requests";
    case RateDecision::Limit::kConcurrency: return "concurrency";
    case RateDecision::Limit::kTokens: return "tokens";
  }
  return "";
}

struct RateLimiter::Client {
  double requests = 0;  // in the request bucket
  double tokens = 0;    // in the generation token bucket
  absl::Time updated;
  int in_flight = 0;
  RateLimits limits;    // as last seen
};

// Ends one admitted request of a client when the last copy of the
// decision's permit is released. The limiter must outlive its permits.
class RateLimiter::Permit {
 public:
  Permit(RateLimiter* limiter, std::shared_ptr<Client> client)
      : limiter_(limiter), client_(std::move(client)) {}
  ~Permit() { limiter_->Release(*client_); }

 private:
  RateLimiter* limiter_;
  std::shared_ptr<Client> client_;
};

RateLimiter::RateLimiter(Options options)
    : clock_(options.clock != nullptr ? options.clock : RealClock::Get()),
      max_idle_clients_(std::max<size_t>(1, options.max_idle_clients)),
      sweep_at_(max_idle_clients_) {}

RateLimiter::~RateLimiter() = default;

void RateLimiter::Refill(Client& client, const RateLimits& limits, absl::Time now) {
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - client.updated));
  const double request_capacity = RequestCapacity(limits);
  if (limits.requests_per_second > 0) {
    // A limit that was off starts full.
    client.requests = client.limits.requests_per_second > 0
                          ? client.requests + elapsed * limits.requests_per_second
                          : request_capacity;
    client.requests = std::min(client.requests, request_capacity);
  }
  if (limits.tokens_per_minute > 0) {
    client.tokens = client.limits.tokens_per_minute > 0
                        ? client.tokens + elapsed * limits.tokens_per_minute / 60
                        : limits.tokens_per_minute;
    client.tokens = std::min(client.tokens, limits.tokens_per_minute);
  }
  client.updated = now;
  client.limits = limits;
}

std::shared_ptr<RateLimiter::Client> RateLimiter::ClientLocked(std::string_view id,
                                                               const RateLimits& limits,
                                                               absl::Time now) {
  auto it = clients_.find(ToAbsl(id));
  if (it == clients_.end()) {
    if (clients_.size() >= sweep_at_) ForgetIdleLocked(now);
    auto client = std::make_shared<Client>();
    client->updated = now;
    it = clients_.emplace(std::string(id), std::move(client)).first;
  }
  Refill(*it->second, limits, now);
  return it->second;
}

void RateLimiter::ForgetIdleLocked(absl::Time now) {
  std::vector<std::string> idle;
  for (auto& [id, client] : clients_) {
    if (client->in_flight > 0) continue;
    Refill(*client, client->limits, now);
    const bool requests_full = client->limits.requests_per_second <= 0 ||
                               client->requests >= RequestCapacity(client->limits);
    const bool tokens_full = client->limits.tokens_per_minute <= 0 ||
                             client->tokens >= client->limits.tokens_per_minute;
    if (requests_full && tokens_full) idle.push_back(id);
  }
  for (const std::string& id : idle) clients_.erase(id);
  sweep_at_ = std::max(max_idle_clients_, 2 * clients_.size());
}

RateDecision RateLimiter::Admit(std::string_view id, const RateLimits& limits) {
  const absl::Time now = clock_->Now();
  RateDecision decision;
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Client> client = ClientLocked(id, limits, now);
  const double request_capacity = RequestCapacity(limits);
  const double tokens_per_second = limits.tokens_per_minute / 60;
  if (limits.max_concurrent > 0 && client->in_flight >= limits.max_concurrent) {
    decision.rejected_by = RateDecision::Limit::kConcurrency;
    // No way to know when one ends: ask to come back soon.
    decision.retry_after = absl::Seconds(1);
  } else if (limits.tokens_per_minute > 0 && client->tokens < 1) {
    decision.rejected_by = RateDecision::Limit::kTokens;
    decision.retry_after = absl::Seconds((1 - client->tokens) / tokens_per_second);
  } else if (limits.requests_per_second > 0 && client->requests < 1) {
    decision.rejected_by = RateDecision::Limit::kRequests;
    decision.retry_after = absl::Seconds((1 - client->requests) / limits.requests_per_second);
  } else {
    if (limits.requests_per_second > 0) client->requests -= 1;
    ++client->in_flight;
    decision.permit = std::make_shared<Permit>(this, client);
  }
  const bool report_tokens =
      limits.tokens_per_minute > 0 && (decision.rejected_by == RateDecision::Limit::kTokens ||
                                       limits.requests_per_second <= 0);
  if (report_tokens) {
    decision.has_quota = true;
    decision.quota_limit = static_cast<int64_t>(limits.tokens_per_minute);
    decision.quota_remaining = static_cast<int64_t>(std::max(0.0, std::floor(client->tokens)));
    decision.quota_reset_seconds =
        SecondsToRefill(limits.tokens_per_minute - client->tokens, tokens_per_second);
  } else if (limits.requests_per_second > 0) {
    decision.has_quota = true;
    decision.quota_limit = static_cast<int64_t>(request_capacity);
    decision.quota_remaining = static_cast<int64_t>(std::max(0.0, std::floor(client->requests)));
    decision.quota_reset_seconds =
        SecondsToRefill(request_capacity - client->requests, limits.requests_per_second);
  }
  return decision;
}

void RateLimiter::ChargeTokens(std::string_view id, const RateLimits& limits, int64_t tokens) {
  if (limits.tokens_per_minute <= 0 || tokens <= 0) return;
  const absl::Time now = clock_->Now();
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Client> client = ClientLocked(id, limits, now);
  // At most one minute of debt, so one huge answer does not lock a client
  // out for longer than a minute.
  client->tokens = std::max(client->tokens - static_cast<double>(tokens),
                            -limits.tokens_per_minute);
}

void RateLimiter::Release(Client& client) {
  std::lock_guard<std::mutex> lock(mu_);
  --client.in_flight;
}

size_t RateLimiter::tracked_clients() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clients_.size();
}

}  // namespace inferd::auth
