#pragma once

// LruResponseCache: the in-memory ResponseCache, bounded in bytes, with an
// entry TTL measured on a Clock.
//
// Eviction: when an insertion would pass `max_bytes`, least recently used
// entries go first (a hit refreshes recency; a replacement counts as new).
// Expiry: an entry lives `ttl` from its insertion; expired entries are never
// returned and are dropped lazily (on lookup, and from the oldest end on every
// insertion), so an idle cache holds memory only until the next insertion.
// Values are shared_ptrs: an entry evicted while a response is still being
// written stays alive until that writer drops it.
//
// Usage from a route (the HTTP mapping is the caller's; sketch):
//   no-cache           -> skip StartOrJoin/Lookup, compute, X-Cache: bypass
//                         (still Insert unless no-store)
//   otherwise          -> StartOrJoin(key, resume_cb):
//       kHit           -> send *response, X-Cache: hit
//       kLeader        -> compute; ticket.Publish(resp, store = !no_store &&
//                         status is 200) ; X-Cache: miss
//       kFollower      -> resume_cb gets the leader's response (X-Cache: hit)
//                         or its error (then compute alone, X-Cache: miss)
//
// Thread-safe: all methods may be called from any thread. FillTickets must
// not outlive the cache.

#include <cstdint>
#include <list>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/response_cache.h"
#include "common/clock.h"

namespace inferd::cache {

class LruResponseCache : public ResponseCache {
 public:
  struct Options {
    // Bound on the charged bytes of all entries (--cache-bytes). > 0.
    size_t max_bytes = size_t{256} << 20;
    // Entry lifetime from insertion (--cache-ttl); InfiniteDuration() means
    // entries only leave by eviction. > 0.
    absl::Duration ttl = absl::InfiniteDuration();
    Clock* clock = nullptr;  // not owned; defaults to RealClock::Get()
  };

  static absl::StatusOr<std::unique_ptr<LruResponseCache>> Create(
      Options options);

  CachedResponsePtr Lookup(const CacheKey& key) override;
  void Insert(const CacheKey& key, CachedResponsePtr response) override;
  CacheLookup StartOrJoin(const CacheKey& key, CacheWaiter on_ready) override;
  void Clear() override;
  CacheStats stats() const override;

 protected:
  void FinishFlight(uint64_t flight_id, const CacheKey& key,
                    absl::StatusOr<CachedResponsePtr> result,
                    bool store) override;

 private:
  struct Entry {
    CacheKey key;
    CachedResponsePtr response;
    size_t charged = 0;
    absl::Time expires;
    std::list<CacheKey>::iterator expiry_it;
  };
  using LruList = std::list<Entry>;  // front: most recently used
  struct Flight {
    uint64_t id;
    std::vector<CacheWaiter> waiters;
  };

  explicit LruResponseCache(Options options) : options_(options) {}

  // Returns the live entry for `key` (refreshing recency) or nullptr,
  // dropping it when expired.
  const Entry* FindLocked(const CacheKey& key, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void InsertLocked(const CacheKey& key, CachedResponsePtr response,
                    absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(LruList::iterator it) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  LruList lru_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CacheKey, LruList::iterator> index_ ABSL_GUARDED_BY(mu_);
  // Keys in insertion order, which is expiry order (one TTL for all).
  std::list<CacheKey> expiry_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<CacheKey, Flight> flights_ ABSL_GUARDED_BY(mu_);
  uint64_t next_flight_id_ ABSL_GUARDED_BY(mu_) = 1;
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd::cache
