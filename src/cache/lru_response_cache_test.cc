#include "cache/lru_response_cache.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::cache {
namespace {

CacheKey Key(uint64_t n) { return CacheKey{n, ~n}; }

CachedResponsePtr Response(std::string body) {
  auto r = std::make_shared<CachedResponse>();
  r->content_type = "application/json";
  r->body = std::move(body);
  return r;
}

// Charged size of Response(std::string(n, 'x')).
size_t ChargeOf(size_t n) { return Response(std::string(n, 'x'))->ChargedBytes(); }

std::unique_ptr<LruResponseCache> MakeCache(size_t max_bytes, Clock* clock,
                                            absl::Duration ttl =
                                                absl::InfiniteDuration()) {
  LruResponseCache::Options options;
  options.max_bytes = max_bytes;
  options.ttl = ttl;
  options.clock = clock;
  auto cache = LruResponseCache::Create(options);
  EXPECT_TRUE(cache.ok()) << cache.status();
  return std::move(cache).value();
}

TEST(LruResponseCacheTest, CreateRejectsZeroBoundAndTtl) {
  LruResponseCache::Options options;
  options.max_bytes = 0;
  EXPECT_FALSE(LruResponseCache::Create(options).ok());
  options.max_bytes = 10;
  options.ttl = absl::ZeroDuration();
  EXPECT_FALSE(LruResponseCache::Create(options).ok());
}

TEST(LruResponseCacheTest, HitReturnsTheSameImmutableBytes) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  auto stored = std::make_shared<CachedResponse>();
  stored->http_status = 200;
  stored->content_type = "application/octet-stream";
  stored->headers = {{"Inference-Header-Content-Length", "17"}};
  stored->body = std::string("\x00\x01binary\xff", 9);
  cache->Insert(Key(1), stored);

  CachedResponsePtr hit = cache->Lookup(Key(1));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit.get(), stored.get());
  EXPECT_EQ(hit->body, std::string("\x00\x01binary\xff", 9));
  EXPECT_EQ(hit->headers, stored->headers);
  EXPECT_EQ(cache->Lookup(Key(2)), nullptr);

  CacheStats stats = cache->stats();
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes, stored->ChargedBytes());
}

TEST(LruResponseCacheTest, EvictsLeastRecentlyUsedFirst) {
  FakeClock clock;
  const size_t each = ChargeOf(100);
  auto cache = MakeCache(3 * each, &clock);
  for (uint64_t k = 1; k <= 3; ++k) cache->Insert(Key(k), Response(std::string(100, 'x')));
  ASSERT_NE(cache->Lookup(Key(1)), nullptr);  // 1 is now most recent
  cache->Insert(Key(4), Response(std::string(100, 'x')));  // evicts 2

  EXPECT_NE(cache->Lookup(Key(1)), nullptr);
  EXPECT_EQ(cache->Lookup(Key(2)), nullptr);
  EXPECT_NE(cache->Lookup(Key(3)), nullptr);
  EXPECT_NE(cache->Lookup(Key(4)), nullptr);
  CacheStats stats = cache->stats();
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.entries, 3u);
  EXPECT_EQ(stats.bytes, 3 * each);
}

TEST(LruResponseCacheTest, LargeEntryEvictsAsManyAsNeeded) {
  FakeClock clock;
  const size_t each = ChargeOf(100);
  auto cache = MakeCache(4 * each, &clock);
  for (uint64_t k = 1; k <= 4; ++k) cache->Insert(Key(k), Response(std::string(100, 'x')));
  // Needs the room of three small entries.
  std::string big(3 * each - ChargeOf(0), 'y');
  cache->Insert(Key(9), Response(big));
  EXPECT_EQ(cache->stats().evictions, 3u);
  EXPECT_NE(cache->Lookup(Key(4)), nullptr);
  EXPECT_NE(cache->Lookup(Key(9)), nullptr);
  EXPECT_LE(cache->stats().bytes, 4 * each);
}

TEST(LruResponseCacheTest, EntryLargerThanTheBoundIsNotStored) {
  FakeClock clock;
  auto cache = MakeCache(ChargeOf(100), &clock);
  cache->Insert(Key(1), Response(std::string(100, 'x')));
  cache->Insert(Key(2), Response(std::string(101, 'x')));
  EXPECT_EQ(cache->Lookup(Key(2)), nullptr);
  EXPECT_NE(cache->Lookup(Key(1)), nullptr);  // nothing evicted for it
  EXPECT_EQ(cache->stats().rejected_too_large, 1u);
}

TEST(LruResponseCacheTest, ReplacingAKeyKeepsByteAccountingExact) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  cache->Insert(Key(1), Response("short"));
  cache->Insert(Key(1), Response(std::string(500, 'z')));
  EXPECT_EQ(cache->stats().entries, 1u);
  EXPECT_EQ(cache->stats().bytes, ChargeOf(500));
  EXPECT_EQ(cache->Lookup(Key(1))->body.size(), 500u);
}

TEST(LruResponseCacheTest, EntriesExpireAfterTtlOnTheClock) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock, absl::Seconds(60));
  cache->Insert(Key(1), Response("a"));
  clock.Advance(absl::Seconds(30));
  cache->Insert(Key(2), Response("b"));
  clock.Advance(absl::Seconds(29));
  EXPECT_NE(cache->Lookup(Key(1)), nullptr);  // 59 s old: a hit does not
  clock.Advance(absl::Seconds(1));            // extend its life
  EXPECT_EQ(cache->Lookup(Key(1)), nullptr);  // 60 s old: gone
  EXPECT_NE(cache->Lookup(Key(2)), nullptr);
  EXPECT_EQ(cache->stats().expirations, 1u);
  EXPECT_EQ(cache->stats().entries, 1u);
}

TEST(LruResponseCacheTest, InsertionDropsExpiredEntriesToFreeMemory) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock, absl::Seconds(10));
  for (uint64_t k = 0; k < 5; ++k) cache->Insert(Key(k), Response("v"));
  clock.Advance(absl::Seconds(11));
  cache->Insert(Key(100), Response("new"));
  CacheStats stats = cache->stats();
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.expirations, 5u);
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.bytes, Response("new")->ChargedBytes());
}

TEST(LruResponseCacheTest, ClearEmptiesTheCache) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  cache->Insert(Key(1), Response("a"));
  cache->Clear();
  EXPECT_EQ(cache->Lookup(Key(1)), nullptr);
  EXPECT_EQ(cache->stats().bytes, 0u);
  EXPECT_EQ(cache->stats().entries, 0u);
}

TEST(LruResponseCacheTest, FirstMissLeadsAndFollowersGetItsResult) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  CacheLookup leader = cache->StartOrJoin(Key(7), nullptr);
  ASSERT_EQ(leader.kind, CacheLookup::Kind::kLeader);
  ASSERT_TRUE(leader.ticket.valid());

  std::vector<CachedResponsePtr> delivered;
  for (int i = 0; i < 3; ++i) {
    CacheLookup follower = cache->StartOrJoin(
        Key(7), [&](absl::StatusOr<CachedResponsePtr> r) {
          ASSERT_TRUE(r.ok());
          delivered.push_back(*r);
        });
    EXPECT_EQ(follower.kind, CacheLookup::Kind::kFollower);
  }
  EXPECT_EQ(cache->stats().in_flight, 1u);
  EXPECT_TRUE(delivered.empty());

  CachedResponsePtr computed = Response("computed once");
  leader.ticket.Publish(computed);
  EXPECT_FALSE(leader.ticket.valid());
  ASSERT_EQ(delivered.size(), 3u);
  for (const auto& r : delivered) EXPECT_EQ(r.get(), computed.get());

  CacheLookup later = cache->StartOrJoin(Key(7), nullptr);
  EXPECT_EQ(later.kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(later.response.get(), computed.get());
  CacheStats stats = cache->stats();
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.coalesced, 3u);
  EXPECT_EQ(stats.hits, 1u);
  EXPECT_EQ(stats.in_flight, 0u);
}

TEST(LruResponseCacheTest, PublishWithoutStoreServesFollowersOnly) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  CacheLookup leader = cache->StartOrJoin(Key(1), nullptr);
  int followers = 0;
  cache->StartOrJoin(Key(1), [&](absl::StatusOr<CachedResponsePtr> r) {
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)->http_status, 422);
    ++followers;
  });
  auto error_body = std::make_shared<CachedResponse>();
  error_body->http_status = 422;
  leader.ticket.Publish(error_body, /*store=*/false);
  EXPECT_EQ(followers, 1);
  EXPECT_EQ(cache->Lookup(Key(1)), nullptr);
}

TEST(LruResponseCacheTest, FailedOrAbandonedLeaderReleasesFollowers) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  absl::Status seen;
  {
    CacheLookup leader = cache->StartOrJoin(Key(1), nullptr);
    cache->StartOrJoin(Key(1), [&](absl::StatusOr<CachedResponsePtr> r) {
      seen = r.status();
    });
    leader.ticket.Fail(absl::UnavailableError("model not ready"));
  }
  EXPECT_EQ(seen.code(), absl::StatusCode::kUnavailable);

  {
    CacheLookup leader = cache->StartOrJoin(Key(2), nullptr);
    ASSERT_EQ(leader.kind, CacheLookup::Kind::kLeader);
    cache->StartOrJoin(Key(2), [&](absl::StatusOr<CachedResponsePtr> r) {
      seen = r.status();
    });
  }  // ticket dropped unpublished
  EXPECT_EQ(seen.code(), absl::StatusCode::kAborted);
  // The next request leads again.
  EXPECT_EQ(cache->StartOrJoin(Key(2), nullptr).kind,
            CacheLookup::Kind::kLeader);
}

TEST(LruResponseCacheTest, GetOrComputeComputesOnceAndThenHits) {
  FakeClock clock;
  auto cache = MakeCache(1 << 20, &clock);
  int computations = 0;
  auto compute = [&]() -> absl::StatusOr<ResponseCache::Computed> {
    ++computations;
    return ResponseCache::Computed{Response("42"), true};
  };
  std::string got;
  auto done = [&](absl::StatusOr<CachedResponsePtr> r) { got = (*r)->body; };
  cache->GetOrCompute(Key(1), compute, done);
  EXPECT_EQ(got, "42");
  got.clear();
  cache->GetOrCompute(Key(1), compute, done);
  EXPECT_EQ(got, "42");
  EXPECT_EQ(computations, 1);

  absl::Status error;
  cache->GetOrCompute(
      Key(2),
      []() -> absl::StatusOr<ResponseCache::Computed> {
        return absl::InternalError("boom");
      },
      [&](absl::StatusOr<CachedResponsePtr> r) { error = r.status(); });
  EXPECT_EQ(error.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(cache->Lookup(Key(2)), nullptr);
}

TEST(LruResponseCacheTest, ConcurrentIdenticalMissesComputeOnce) {
  auto cache = MakeCache(1 << 20, RealClock::Get());
  constexpr int kThreads = 8;
  std::atomic<int> computations{0};
  std::atomic<int> answers{0};
  absl::Notification leader_started;
  absl::Notification release_leader;

  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      cache->GetOrCompute(
          Key(5),
          [&]() -> absl::StatusOr<ResponseCache::Computed> {
            ++computations;
            leader_started.Notify();
            release_leader.WaitForNotification();
            return ResponseCache::Computed{Response("shared"), true};
          },
          [&](absl::StatusOr<CachedResponsePtr> r) {
            if (r.ok() && (*r)->body == "shared") ++answers;
          });
    });
  }
  leader_started.WaitForNotification();
  // Nothing is stored while the leader computes, so every other thread must
  // join its flight; wait (spinning, not sleeping) until all have.
  while (cache->stats().coalesced < kThreads - 1) std::this_thread::yield();
  release_leader.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(computations.load(), 1);
  EXPECT_EQ(answers.load(), kThreads);
  EXPECT_EQ(cache->stats().misses, 1u);
}

TEST(LruResponseCacheTest, ConcurrentUseKeepsTheByteBoundAndAccounting) {
  const size_t bound = 50 * ChargeOf(100);
  auto cache = MakeCache(bound, RealClock::Get());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < 2000; ++i) {
        uint64_t k = (i * 7 + t) % 300;
        if (i % 3 == 0) {
          cache->Insert(Key(k), Response(std::string(50 + k % 100, 'v')));
        } else if (CachedResponsePtr hit = cache->Lookup(Key(k))) {
          EXPECT_EQ(hit->body.size(), 50 + k % 100);  // never a torn value
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CacheStats stats = cache->stats();
  EXPECT_LE(stats.bytes, bound);
  EXPECT_GT(stats.evictions, 0u);
  // Recount what is held from scratch.
  size_t held = 0, entries = 0;
  for (uint64_t k = 0; k < 300; ++k) {
    if (CachedResponsePtr r = cache->Lookup(Key(k))) {
      held += r->ChargedBytes();
      ++entries;
    }
  }
  EXPECT_EQ(held, stats.bytes);
  EXPECT_EQ(entries, stats.entries);
}

}  // namespace
}  // namespace inferd::cache
