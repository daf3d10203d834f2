#include "cache/response_cache.h"

#include <utility>

namespace inferd::cache {
namespace {

// Map node, list node and bookkeeping per entry, so a cache of many tiny
// responses still respects its bound roughly.
constexpr size_t kEntryOverheadBytes = 128;

}  // namespace

size_t CachedResponse::ChargedBytes() const {
  size_t bytes = kEntryOverheadBytes + body.size() + content_type.size();
  for (const auto& [name, value] : headers) bytes += name.size() + value.size();
  return bytes;
}

FillTicket& FillTicket::operator=(FillTicket&& other) noexcept {
  if (this != &other) {
    if (cache_ != nullptr) Fail(absl::AbortedError("cache leader abandoned"));
    cache_ = std::exchange(other.cache_, nullptr);
    flight_id_ = other.flight_id_;
    key_ = other.key_;
  }
  return *this;
}

FillTicket::~FillTicket() {
  if (cache_ != nullptr) Fail(absl::AbortedError("cache leader abandoned"));
}

void FillTicket::Publish(CachedResponsePtr response, bool store) {
  ResponseCache* cache = std::exchange(cache_, nullptr);
  if (cache == nullptr) return;
  cache->FinishFlight(flight_id_, key_, std::move(response), store);
}

void FillTicket::Fail(absl::Status status) {
  ResponseCache* cache = std::exchange(cache_, nullptr);
  if (cache == nullptr) return;
  if (status.ok()) status = absl::UnknownError("cache leader failed");
  cache->FinishFlight(flight_id_, key_, std::move(status), false);
}

void ResponseCache::GetOrCompute(
    const CacheKey& key,
    const std::function<absl::StatusOr<Computed>()>& compute,
    CacheWaiter on_ready) {
  CacheLookup lookup = StartOrJoin(key, on_ready);
  switch (lookup.kind) {
    case CacheLookup::Kind::kHit:
      on_ready(lookup.response);
      return;
    case CacheLookup::Kind::kFollower:
      return;
    case CacheLookup::Kind::kLeader:
      break;
  }
  absl::StatusOr<Computed> computed = compute();
  if (!computed.ok()) {
    lookup.ticket.Fail(computed.status());
    on_ready(computed.status());
    return;
  }
  lookup.ticket.Publish(computed->response, computed->store);
  on_ready(computed->response);
}

}  // namespace inferd::cache
