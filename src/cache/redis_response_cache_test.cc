#include "cache/redis_response_cache.h"

#include <atomic>
#include <cstdio>

#include "gtest/gtest.h"
#include "redis/testing/redis_test_server.h"

namespace inferd::cache {
namespace {

std::string Hex(const CacheKey& key) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(key.high),
                static_cast<unsigned long long>(key.low));
  return hex;
}

CachedResponsePtr Response(std::string body) {
  auto r = std::make_shared<CachedResponse>();
  r->http_status = 200;
  r->content_type = "application/octet-stream";
  r->headers = {{"Inference-Header-Content-Length", "2"}};
  r->body = std::move(body);
  return r;
}

class RedisResponseCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!server_.ok()) GTEST_SKIP() << server_.error();
  }
  std::unique_ptr<RedisResponseCache> Make(size_t max_entry_bytes = 1 << 20) {
    RedisResponseCache::Options options;
    options.client = server_.client();
    options.max_entry_bytes = max_entry_bytes;
    return *RedisResponseCache::Create(options);
  }
  redis::testing::RedisTestServer server_;
};

TEST_F(RedisResponseCacheTest, AResponseStoredByOneReplicaIsAHitOnAnother) {
  auto a = Make();
  auto b = Make();  // another replica, same Redis
  const CacheKey key{1, 2};
  EXPECT_EQ(b->Lookup(key), nullptr);
  a->Insert(key, Response(std::string("{}\0\xff", 4)));
  CachedResponsePtr hit = b->Lookup(key);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->body, std::string("{}\0\xff", 4));
  EXPECT_EQ(hit->headers, Response("").get()->headers);
  EXPECT_EQ(hit->content_type, "application/octet-stream");
  EXPECT_EQ(b->stats().hits, 1u);
  EXPECT_EQ(b->stats().misses, 1u);
  // Entries carry the TTL.
  absl::StatusOr<redis::Reply> ttl = server_.client()->Command({"PTTL", "inferd:cache:" + Hex(key)});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 3600 * 1000);
  b->Clear();
  EXPECT_EQ(a->Lookup(key), nullptr);
}

TEST_F(RedisResponseCacheTest, LeaderPublishesToFollowersAndStores) {
  auto cache = Make();
  const CacheKey key{3, 4};
  CacheLookup leader = cache->StartOrJoin(key, nullptr);
  ASSERT_EQ(leader.kind, CacheLookup::Kind::kLeader);
  std::atomic<int> delivered{0};
  CacheLookup follower = cache->StartOrJoin(key, [&](absl::StatusOr<CachedResponsePtr> r) {
    if (r.ok() && *r != nullptr && (*r)->body == "x") ++delivered;
  });
  ASSERT_EQ(follower.kind, CacheLookup::Kind::kFollower);
  leader.ticket.Publish(Response("x"));
  EXPECT_EQ(delivered.load(), 1);
  EXPECT_EQ(cache->StartOrJoin(key, nullptr).kind, CacheLookup::Kind::kHit);
}

TEST_F(RedisResponseCacheTest, ErrorsAndUnstoredResultsAreNotCached) {
  auto cache = Make(/*max_entry_bytes=*/200);
  const CacheKey key{5, 6};
  CacheLookup leader = cache->StartOrJoin(key, nullptr);
  leader.ticket.Fail(absl::UnavailableError("model busy"));
  EXPECT_EQ(cache->Lookup(key), nullptr);
  cache->StartOrJoin(key, nullptr).ticket.Publish(Response("no-store"), /*store=*/false);
  EXPECT_EQ(cache->Lookup(key), nullptr);
  cache->Insert(key, Response(std::string(1000, 'b')));  // over the entry bound
  EXPECT_EQ(cache->Lookup(key), nullptr);
  EXPECT_EQ(cache->stats().rejected_too_large, 1u);
}

TEST_F(RedisResponseCacheTest, DamagedValuesAreMisses) {
  auto cache = Make();
  const CacheKey key{7, 8};
  ASSERT_TRUE(server_.client()->Command({"SET", "inferd:cache:" + Hex(key), "\x01garbage"}).ok());
  EXPECT_EQ(cache->Lookup(key), nullptr);
  std::string good = RedisResponseCache::Encode(*Response("abc"));
  EXPECT_NE(RedisResponseCache::Decode(good), nullptr);
  EXPECT_EQ(RedisResponseCache::Decode(good.substr(0, good.size() - 1)), nullptr);
  EXPECT_EQ(RedisResponseCache::Decode(good + "x"), nullptr);
}

TEST(RedisResponseCacheDownTest, AnUnreachableRedisIsAMissNotAFailure) {
  redis::RedisClient::Options client_options;
  client_options.url.host = "127.0.0.1";
  client_options.url.port = 1;
  auto client = *redis::RedisClient::Create(client_options);
  RedisResponseCache::Options options;
  options.client = client.get();
  auto cache = *RedisResponseCache::Create(options);
  const CacheKey key{9, 9};
  CacheLookup lookup = cache->StartOrJoin(key, nullptr);
  EXPECT_EQ(lookup.kind, CacheLookup::Kind::kLeader);
  lookup.ticket.Publish(Response("x"));  // the insert fails quietly
  EXPECT_EQ(cache->Lookup(key), nullptr);
  EXPECT_EQ(cache->stats().insertions, 0u);
}

}  // namespace
}  // namespace inferd::cache
