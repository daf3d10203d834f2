#include "api/cached_response.h"

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "cache/lru_response_cache.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

std::string XCache(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "X-Cache") return value;
  }
  return "";
}

// A route's compute step that counts its runs and answers `status` with a
// body naming the run; `held` keeps the answers back until Release().
class Compute {
 public:
  explicit Compute(int status = 200) : status_(status) {}
  std::function<void(Responder)> Step() {
    return [this](Responder done) {
      ++runs_;
      HttpResponse r = JsonBody(status_, "{\"run\":" + std::to_string(runs_) + "}");
      if (hold_) {
        held_.push_back([done, r] { done(r); });
      } else {
        done(std::move(r));
      }
    };
  }
  void Hold() { hold_ = true; }
  void Release() {
    hold_ = false;
    for (auto& answer : held_) answer();
    held_.clear();
  }
  int runs() const { return runs_; }

 private:
  const int status_;
  int runs_ = 0;
  bool hold_ = false;
  std::vector<std::function<void()>> held_;
};

class CachedResponseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache::LruResponseCache::Options options;
    options.max_bytes = 1 << 20;
    cache_ = *cache::LruResponseCache::Create(options);
  }

  HttpResponse Send(Compute& compute, CacheDirectives directives = {}, cache::CacheKey key = {1, 2}) {
    std::optional<HttpResponse> out;
    RespondThroughCache(cache_.get(), nullptr, key, directives, absl::Now(), compute.Step(),
                        [&](HttpResponse r) { out = std::move(r); });
    EXPECT_TRUE(out.has_value());
    return out.value_or(HttpResponse{});
  }

  std::unique_ptr<cache::LruResponseCache> cache_;
};

TEST_F(CachedResponseTest, MissThenHitWithTheStoredBytes) {
  Compute compute;
  HttpResponse first = Send(compute);
  EXPECT_EQ(XCache(first), "miss");
  HttpResponse second = Send(compute);
  EXPECT_EQ(XCache(second), "hit");
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(compute.runs(), 1);
  // Another key is another entry.
  EXPECT_EQ(XCache(Send(compute, {}, {3, 4})), "miss");
  EXPECT_EQ(compute.runs(), 2);
}

TEST_F(CachedResponseTest, NoCacheComputesAndStoresUnlessNoStore) {
  Compute compute;
  EXPECT_EQ(XCache(Send(compute, {.no_cache = true, .no_store = true})), "bypass");
  EXPECT_EQ(XCache(Send(compute)), "miss");  // no-store kept it out
  EXPECT_EQ(XCache(Send(compute, {.no_cache = true})), "bypass");
  EXPECT_EQ(Send(compute).body, "{\"run\":3}");  // the bypass stored its answer
  EXPECT_EQ(compute.runs(), 3);
}

TEST_F(CachedResponseTest, ErrorsAreNeverStored) {
  Compute failing(400);
  EXPECT_EQ(Send(failing).status, 400);
  EXPECT_EQ(Send(failing).status, 400);
  EXPECT_EQ(failing.runs(), 2);
}

TEST_F(CachedResponseTest, IdenticalRequestsInFlightAreComputedOnce) {
  Compute compute;
  compute.Hold();
  std::vector<HttpResponse> answers;
  for (int i = 0; i < 3; ++i) {
    RespondThroughCache(cache_.get(), nullptr, {7, 7}, {}, absl::Now(), compute.Step(),
                        [&](HttpResponse r) { answers.push_back(std::move(r)); });
  }
  EXPECT_EQ(compute.runs(), 1);
  EXPECT_TRUE(answers.empty());
  compute.Release();
  ASSERT_EQ(answers.size(), 3u);
  for (const HttpResponse& r : answers) EXPECT_EQ(r.body, "{\"run\":1}");
  EXPECT_EQ(compute.runs(), 1);
}

TEST(CacheDirectivesTest, ReadsCacheControlAndPragma) {
  HttpRequest request;
  request.headers = {{"cache-control", "max-age=0, No-Store"}, {"pragma", "no-cache"}};
  CacheDirectives d = ParseCacheDirectives(request);
  EXPECT_TRUE(d.no_cache);
  EXPECT_TRUE(d.no_store);
  EXPECT_FALSE(ParseCacheDirectives(HttpRequest{}).no_cache);
}

}  // namespace
}  // namespace inferd
