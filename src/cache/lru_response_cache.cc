#include "cache/lru_response_cache.h"

#include <utility>

#include "absl/status/status.h"

namespace inferd::cache {

absl::StatusOr<std::unique_ptr<LruResponseCache>> LruResponseCache::Create(
    Options options) {
  if (options.max_bytes == 0) {
    return absl::InvalidArgumentError("cache max_bytes must be > 0");
  }
  if (options.ttl <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("cache ttl must be > 0");
  }
  if (options.clock == nullptr) options.clock = RealClock::Get();
  return std::unique_ptr<LruResponseCache>(new LruResponseCache(options));
}

CachedResponsePtr LruResponseCache::Lookup(const CacheKey& key) {
  absl::Time now = options_.clock->Now();
  absl::MutexLock lock(&mu_);
  const Entry* entry = FindLocked(key, now);
  if (entry == nullptr) {
    ++stats_.misses;
    return nullptr;
  }
  ++stats_.hits;
  return entry->response;
}

void LruResponseCache::Insert(const CacheKey& key,
                              CachedResponsePtr response) {
  if (response == nullptr) return;
  absl::Time now = options_.clock->Now();
  absl::MutexLock lock(&mu_);
  InsertLocked(key, std::move(response), now);
}

CacheLookup LruResponseCache::StartOrJoin(const CacheKey& key,
                                          CacheWaiter on_ready) {
  absl::Time now = options_.clock->Now();
  CacheLookup result;
  absl::MutexLock lock(&mu_);
  if (const Entry* entry = FindLocked(key, now)) {
    ++stats_.hits;
    result.kind = CacheLookup::Kind::kHit;
    result.response = entry->response;
    return result;
  }
  auto it = flights_.find(key);
  if (it != flights_.end()) {
    ++stats_.coalesced;
    it->second.waiters.push_back(std::move(on_ready));
    result.kind = CacheLookup::Kind::kFollower;
    return result;
  }
  ++stats_.misses;
  uint64_t id = next_flight_id_++;
  flights_.emplace(key, Flight{id, {}});
  result.kind = CacheLookup::Kind::kLeader;
  result.ticket = MakeTicket(id, key);
  return result;
}

void LruResponseCache::FinishFlight(uint64_t flight_id, const CacheKey& key,
                                    absl::StatusOr<CachedResponsePtr> result,
                                    bool store) {
  std::vector<CacheWaiter> waiters;
  {
    absl::Time now = options_.clock->Now();
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(key);
    if (it == flights_.end() || it->second.id != flight_id) return;
    waiters = std::move(it->second.waiters);
    flights_.erase(it);
    if (store && result.ok() && *result != nullptr) {
      InsertLocked(key, *result, now);
    }
  }
  for (CacheWaiter& waiter : waiters) {
    if (waiter) waiter(result);
  }
}

void LruResponseCache::Clear() {
  absl::MutexLock lock(&mu_);
  lru_.clear();
  index_.clear();
  expiry_.clear();
  stats_.bytes = 0;
  stats_.entries = 0;
}

CacheStats LruResponseCache::stats() const {
  absl::MutexLock lock(&mu_);
  CacheStats stats = stats_;
  stats.in_flight = flights_.size();
  return stats;
}

const LruResponseCache::Entry* LruResponseCache::FindLocked(
    const CacheKey& key, absl::Time now) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  if (it->second->expires <= now) {
    ++stats_.expirations;
    EraseLocked(it->second);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return &lru_.front();
}

void LruResponseCache::InsertLocked(const CacheKey& key,
                                    CachedResponsePtr response,
                                    absl::Time now) {
  DropExpiredLocked(now);
  auto existing = index_.find(key);
  if (existing != index_.end()) EraseLocked(existing->second);

  size_t charged = response->ChargedBytes();
  if (charged > options_.max_bytes) {
    ++stats_.rejected_too_large;
    return;
  }
  while (stats_.bytes + charged > options_.max_bytes && !lru_.empty()) {
    ++stats_.evictions;
    EraseLocked(std::prev(lru_.end()));
  }
  expiry_.push_back(key);
  lru_.push_front(Entry{key, std::move(response), charged, now + options_.ttl,
                        std::prev(expiry_.end())});
  index_[key] = lru_.begin();
  stats_.bytes += charged;
  stats_.entries = lru_.size();
  ++stats_.insertions;
}

void LruResponseCache::EraseLocked(LruList::iterator it) {
  stats_.bytes -= it->charged;
  expiry_.erase(it->expiry_it);
  index_.erase(it->key);
  lru_.erase(it);
  stats_.entries = lru_.size();
}

void LruResponseCache::DropExpiredLocked(absl::Time now) {
  while (!expiry_.empty()) {
    auto it = index_.find(expiry_.front());
    // Every expiry record has its entry: both are erased together.
    if (it->second->expires > now) return;
    ++stats_.expirations;
    EraseLocked(it->second);
  }
}

}  // namespace inferd::cache
