#pragma once

// RedisResponseCache: the ResponseCache that replicas share on Redis
// (`--redis`): a response computed by one replica is a hit on every other.
//
// Keys: "<prefix><32 hex digits of the CacheKey>", the same keys as the
// in-memory cache. Values: the exact status, content type, headers and body
// (a small length-prefixed format, versioned by its first byte).
//
// Bound: every entry is written with a TTL (`ttl`; --cache-ttl, one hour
// when that is 0), which bounds what the cache holds on Redis. Job documents
// share the Redis and must never be evicted (its `maxmemory-policy` must be
// noeviction for jobs); a deployment that wants Redis itself to evict cache
// entries under memory pressure gives the cache its own Redis with
// allkeys-lru (README: "Running several replicas"). Entries larger than
// `max_entry_bytes` (--cache-bytes) are not stored.
//
// Single flight: within one replica (concurrent misses of one key wait for
// one leader), not across replicas: two replicas that miss the same key at
// once both compute it.
//
// Failures never fail a request: a Redis error is a miss (and no insert),
// counted in stats as a miss and in the client's error counter.
//
// Lookups block the calling thread for one Redis round trip (loopback or
// LAN: tens to hundreds of microseconds).
//
// Thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cache/response_cache.h"
#include "redis/redis_client.h"

namespace inferd::cache {

class RedisResponseCache : public ResponseCache {
 public:
  struct Options {
    redis::RedisClient* client = nullptr;  // not owned; required
    std::string prefix = "inferd:cache:";
    absl::Duration ttl = absl::Hours(1);  // > 0 and finite
    size_t max_entry_bytes = size_t{16} << 20;
  };
  static absl::StatusOr<std::unique_ptr<RedisResponseCache>> Create(Options options);

  CachedResponsePtr Lookup(const CacheKey& key) override;
  void Insert(const CacheKey& key, CachedResponsePtr response) override;
  CacheLookup StartOrJoin(const CacheKey& key, CacheWaiter on_ready) override;
  // Removes this cache's keys (SCAN + UNLINK over the prefix).
  void Clear() override;
  CacheStats stats() const override;

  // The value format, for tests.
  static std::string Encode(const CachedResponse& response);
  static CachedResponsePtr Decode(const std::string& bytes);

 protected:
  void FinishFlight(uint64_t flight_id, const CacheKey& key,
                    absl::StatusOr<CachedResponsePtr> result, bool store) override;

 private:
  struct Flight {
    uint64_t id;
    std::vector<CacheWaiter> waiters;
  };
  explicit RedisResponseCache(Options options) : options_(std::move(options)) {}
  // GET without counting; nullptr when absent, unreadable or on error.
  CachedResponsePtr Fetch(const CacheKey& key);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<CacheKey, Flight> flights_ ABSL_GUARDED_BY(mu_);
  uint64_t next_flight_id_ ABSL_GUARDED_BY(mu_) = 1;
  CacheStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd::cache
