#pragma once

// ResponseCache: the interface the inference routes use to reuse a response
// computed for an identical earlier request.
//
// Keys are CacheKeys (a 128-bit XXH3 hash built by CacheKeyBuilder over
// everything that decides the response bytes). Values are CachedResponses:
// the exact body, content type, status and headers the route sent, held
// immutable behind a shared_ptr so a hit is byte-identical to the computed
// answer and may outlive its eviction.
//
// Single flight: StartOrJoin() makes exactly one caller of a missing key the
// leader, who computes the response and publishes it through its
// FillTicket; concurrent callers for the same key become followers whose
// callbacks receive the leader's result. No HTTP types appear here: the
// caller maps Cache-Control and X-Cache itself (see lru_response_cache.h).
//
// Thread-safety: implementations are thread-safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace inferd::cache {

// A strong 128-bit cache key. Build it with CacheKeyBuilder.
struct CacheKey {
  uint64_t high = 0;
  uint64_t low = 0;

  friend bool operator==(const CacheKey& a, const CacheKey& b) {
    return a.high == b.high && a.low == b.low;
  }
  friend bool operator!=(const CacheKey& a, const CacheKey& b) {
    return !(a == b);
  }
  template <typename H>
  friend H AbslHashValue(H h, const CacheKey& key) {
    return H::combine(std::move(h), key.high, key.low);
  }

  // 32 lowercase hex digits, high word first (for logs and debugging).
  std::string ToHex() const;
};

// One cached response, immutable once published.
struct CachedResponse {
  int http_status = 200;
  std::string content_type;
  // Extra response headers the route sent that belong to the body (for v2
  // binary outputs: Inference-Header-Content-Length). Not X-Cache.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Bytes this entry is charged against the cache bound: body, content
  // type, headers and a fixed per-entry overhead.
  size_t ChargedBytes() const;
};

using CachedResponsePtr = std::shared_ptr<const CachedResponse>;

// Receives a follower's result: the leader's response, or the leader's
// failure (errors are never cached; a follower that gets one should compute
// on its own, uncached).
using CacheWaiter = std::function<void(absl::StatusOr<CachedResponsePtr>)>;

class ResponseCache;

// The leader's obligation to publish a result for one key. Move-only. If it
// is destroyed without Publish() or Fail(), followers receive Aborted
// ("leader abandoned") so nobody waits forever.
class FillTicket {
 public:
  FillTicket() = default;
  FillTicket(FillTicket&& other) noexcept { *this = std::move(other); }
  FillTicket& operator=(FillTicket&& other) noexcept;
  FillTicket(const FillTicket&) = delete;
  FillTicket& operator=(const FillTicket&) = delete;
  ~FillTicket();

  bool valid() const { return cache_ != nullptr; }

  // Hands `response` to every follower and, when `store` is true, inserts
  // it (a route that answered with an error body, or a request with
  // Cache-Control: no-store, passes false). Invalidates the ticket.
  void Publish(CachedResponsePtr response, bool store = true);

  // Tells every follower the computation failed. Invalidates the ticket.
  void Fail(absl::Status status);

 private:
  friend class ResponseCache;
  FillTicket(ResponseCache* cache, uint64_t flight_id, CacheKey key)
      : cache_(cache), flight_id_(flight_id), key_(key) {}

  ResponseCache* cache_ = nullptr;
  uint64_t flight_id_ = 0;
  CacheKey key_;
};

// What StartOrJoin() decided for the caller.
struct CacheLookup {
  enum class Kind {
    kHit,       // `response` holds the cached entry; the callback is unused
    kLeader,    // compute, then ticket.Publish() or ticket.Fail()
    kFollower,  // the callback will be called once with the leader's result
  };
  Kind kind = Kind::kLeader;
  CachedResponsePtr response;  // kHit only
  FillTicket ticket;           // kLeader only
};

// Counters for metrics; monotonic except bytes/entries/in_flight.
struct CacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;          // lookups that found nothing (leaders too)
  uint64_t coalesced = 0;       // followers that waited for a leader
  uint64_t insertions = 0;
  uint64_t evictions = 0;       // removed to respect the byte bound
  uint64_t expirations = 0;     // removed because their TTL passed
  uint64_t rejected_too_large = 0;  // entries larger than the whole cache
  uint64_t bytes = 0;           // charged bytes currently held
  uint64_t entries = 0;
  uint64_t in_flight = 0;       // keys with a leader computing now
};

class ResponseCache {
 public:
  virtual ~ResponseCache() = default;

  // The entry for `key`, or nullptr when absent or expired. Counts a hit or
  // a miss. Does not join in-flight computations.
  virtual CachedResponsePtr Lookup(const CacheKey& key) = 0;

  // Inserts or replaces the entry for `key`. Entries larger than the whole
  // bound are not stored (counted in rejected_too_large).
  virtual void Insert(const CacheKey& key, CachedResponsePtr response) = 0;

  // Hit, or single-flight miss: see CacheLookup. `on_ready` is stored only
  // for a follower and is called exactly once, on the leader's thread
  // (inside Publish/Fail), outside the cache's lock; it must not block.
  virtual CacheLookup StartOrJoin(const CacheKey& key,
                                  CacheWaiter on_ready) = 0;

  // Removes every entry (in-flight computations are unaffected).
  virtual void Clear() = 0;

  virtual CacheStats stats() const = 0;

  // Convenience over StartOrJoin for callers that may block: a hit returns
  // at once; the leader runs `compute` on this thread and publishes it
  // (storing it when `compute` says so); a follower calls `on_ready` later.
  // For the leader and a hit, `on_ready` is called before this returns.
  struct Computed {
    CachedResponsePtr response;
    bool store = true;
  };
  void GetOrCompute(const CacheKey& key,
                    const std::function<absl::StatusOr<Computed>()>& compute,
                    CacheWaiter on_ready);

 protected:
  // Called by FillTicket. Implementations deliver to the flight's followers
  // and end the flight.
  virtual void FinishFlight(uint64_t flight_id, const CacheKey& key,
                            absl::StatusOr<CachedResponsePtr> result,
                            bool store) = 0;
  FillTicket MakeTicket(uint64_t flight_id, const CacheKey& key) {
    return FillTicket(this, flight_id, key);
  }

 private:
  friend class FillTicket;
};

}  // namespace inferd::cache
