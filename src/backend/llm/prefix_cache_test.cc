#include "backend/llm/prefix_cache.h"

#include <memory>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

constexpr int64_t kBlock = 4;

std::unique_ptr<KvCache> Pool(int64_t blocks) {
  return *KvCache::Create({.n_layers = 1,
                           .kv_dim = 2,
                           .block_tokens = kBlock,
                           .num_blocks = blocks});
}

// Tokens first, first + 1, ...
std::vector<int32_t> Tokens(int n, int32_t first) {
  std::vector<int32_t> t(n);
  std::iota(t.begin(), t.end(), first);
  return t;
}

// One sequence: admitted, "computed" up to `computed` positions (as the
// transformer would set kv.length), published.
struct Seq {
  SequenceKv kv;
  PrefixChain chain;
  int64_t cached = -1;
};

Seq Compute(PrefixCache& cache, const std::vector<int32_t>& tokens,
            int64_t positions) {
  Seq s;
  absl::StatusOr<int64_t> cached =
      cache.Admit(s.kv, s.chain, tokens, positions);
  EXPECT_TRUE(cached.ok()) << cached.status();
  s.cached = cached.value_or(-1);
  s.kv.length = static_cast<int64_t>(tokens.size());
  cache.Publish(s.kv, s.chain, tokens);
  return s;
}

TEST(PrefixCacheTest, ReusesFullBlocksOfAnEndedSequence) {
  auto pool = Pool(8);
  PrefixCache cache(pool.get(), true);
  const std::vector<int32_t> prompt = Tokens(10, 100);  // 2 full blocks + 2
  Seq a = Compute(cache, prompt, 12);
  EXPECT_EQ(a.cached, 0);
  const std::vector<int32_t> a_blocks = a.kv.blocks;
  cache.Release(a.kv, a.chain);
  EXPECT_EQ(cache.cached_blocks(), 2);  // the partial third block is free
  EXPECT_EQ(cache.referenced_blocks(), 0);
  EXPECT_EQ(cache.available_blocks(), 8);

  Seq b = Compute(cache, prompt, 12);
  EXPECT_EQ(b.cached, 8);
  ASSERT_EQ(b.kv.blocks.size(), 3u);
  EXPECT_EQ(b.kv.blocks[0], a_blocks[0]);
  EXPECT_EQ(b.kv.blocks[1], a_blocks[1]);
  EXPECT_EQ(cache.cached_blocks(), 0);
  EXPECT_EQ(cache.referenced_blocks(), 3);
}

TEST(PrefixCacheTest, AlwaysLeavesTheLastPromptTokenToCompute) {
  auto pool = Pool(8);
  PrefixCache cache(pool.get(), true);
  const std::vector<int32_t> prompt = Tokens(8, 100);  // exactly 2 blocks
  Seq a = Compute(cache, prompt, 9);
  const std::vector<int32_t> a_blocks = a.kv.blocks;
  cache.Release(a.kv, a.chain);
  EXPECT_EQ(cache.cached_blocks(), 2);
  // The second block holds the last prompt token, which must be computed
  // again: only the first is reused, and the sequence writes a block of its
  // own, never the cached one.
  Seq b = Compute(cache, prompt, 9);
  EXPECT_EQ(b.cached, 4);
  EXPECT_EQ(b.kv.blocks[0], a_blocks[0]);
  EXPECT_NE(b.kv.blocks[1], a_blocks[1]);
  // A one-block prompt reuses nothing.
  Seq c = Compute(cache, Tokens(4, 100), 5);
  EXPECT_EQ(c.cached, 0);
}

TEST(PrefixCacheTest, ABlockIsReusedOnlyAfterTheSamePrefix) {
  auto pool = Pool(8);
  PrefixCache cache(pool.get(), true);
  std::vector<int32_t> prompt = Tokens(9, 100);
  Seq a = Compute(cache, prompt, 9);
  cache.Release(a.kv, a.chain);
  // Same second block, different first block: nothing is reused.
  std::vector<int32_t> other = prompt;
  other[0] = 7;
  Seq b = Compute(cache, other, 9);
  EXPECT_EQ(b.cached, 0);
  // Same first block, different second: the first only.
  std::vector<int32_t> fork = prompt;
  fork[5] = 7;
  Seq c = Compute(cache, fork, 9);
  EXPECT_EQ(c.cached, 4);
}

TEST(PrefixCacheTest,
     SharedBlocksAreCountedOnceAndCachedWhenTheLastHolderEnds) {
  auto pool = Pool(8);
  PrefixCache cache(pool.get(), true);
  const std::vector<int32_t> prompt = Tokens(9, 100);
  Seq a = Compute(cache, prompt, 12);  // 3 blocks, 2 published while running
  Seq b = Compute(cache, prompt, 12);  // shares those 2, takes 1
  EXPECT_EQ(b.cached, 8);
  EXPECT_EQ(cache.referenced_blocks(), 4);
  cache.Release(a.kv, a.chain);
  EXPECT_EQ(cache.referenced_blocks(), 3);  // b still holds the shared ones
  EXPECT_EQ(cache.cached_blocks(), 0);
  cache.Release(b.kv, b.chain);
  EXPECT_EQ(cache.referenced_blocks(), 0);
  EXPECT_EQ(cache.cached_blocks(), 2);
}

TEST(PrefixCacheTest, ADuplicateOfAPublishedBlockIsNotKept) {
  auto pool = Pool(8);
  PrefixCache cache(pool.get(), true);
  const std::vector<int32_t> prompt = Tokens(9, 100);
  // Both admitted before either computed anything: both compute the prefix.
  Seq a, b;
  ASSERT_EQ(*cache.Admit(a.kv, a.chain, prompt, 9), 0);
  ASSERT_EQ(*cache.Admit(b.kv, b.chain, prompt, 9), 0);
  a.kv.length = b.kv.length = 9;
  cache.Publish(a.kv, a.chain, prompt);
  cache.Publish(b.kv, b.chain, prompt);
  cache.Release(a.kv, a.chain);
  cache.Release(b.kv, b.chain);
  EXPECT_EQ(cache.cached_blocks(), 2);  // a's; b's went back to the pool
  EXPECT_EQ(pool->free_blocks(), 6);
}

TEST(PrefixCacheTest, EvictsLeastRecentlyUsedTailFirst) {
  auto pool = Pool(4);
  PrefixCache cache(pool.get(), true);
  const std::vector<int32_t> a_prompt = Tokens(9, 100);
  Seq a = Compute(cache, a_prompt, 12);  // 3 blocks, publishes 2
  cache.Release(a.kv, a.chain);
  ASSERT_EQ(cache.cached_blocks(), 2);
  // Needs 3 of 4 blocks with 2 free: evicts one of a's, its tail.
  Seq b = Compute(cache, Tokens(9, 500), 12);
  EXPECT_EQ(b.cached, 0);
  EXPECT_EQ(cache.cached_blocks(), 1);
  cache.Release(b.kv, b.chain);
  // a's head survived and is reused; the block a2 needs beyond the free one
  // is b's tail, the least recently used now, so b's head stays reusable.
  Seq a2 = Compute(cache, a_prompt, 12);
  EXPECT_EQ(a2.cached, 4);
  cache.Release(a2.kv, a2.chain);
  Seq b2;
  EXPECT_EQ(*cache.Admit(b2.kv, b2.chain, Tokens(9, 500), 8), 4);
}

TEST(PrefixCacheTest, AdmissionThatDoesNotFitChangesNothing) {
  auto pool = Pool(4);
  PrefixCache cache(pool.get(), true);
  const std::vector<int32_t> prompt = Tokens(9, 100);
  Seq a = Compute(cache, prompt, 12);
  cache.Release(a.kv, a.chain);
  Seq hold = Compute(cache, Tokens(3, 900), 4);  // one free block left besides
  ASSERT_EQ(cache.available_blocks(), 3);
  // Reusing 2 cached blocks, it needs 3 more; only 1 is free once the
  // reused ones are counted out.
  Seq b;
  absl::StatusOr<int64_t> r = cache.Admit(b.kv, b.chain, prompt, 20);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(b.kv.blocks.empty());
  EXPECT_EQ(cache.cached_blocks(), 2);
  EXPECT_EQ(cache.available_blocks(), 3);
  EXPECT_EQ(*cache.Admit(b.kv, b.chain, prompt, 12), 8);  // fits
}

TEST(PrefixCacheTest, ReserveEvictsAndFailsWithoutChange) {
  auto pool = Pool(3);
  PrefixCache cache(pool.get(), true);
  Seq a = Compute(cache, Tokens(9, 100), 9);
  cache.Release(a.kv, a.chain);
  Seq b;
  ASSERT_TRUE(cache.Admit(b.kv, b.chain, Tokens(2, 7), 2).ok());
  EXPECT_TRUE(cache.Reserve(b.kv, 12).ok());  // 1 free + 2 evicted
  EXPECT_EQ(cache.cached_blocks(), 0);
  EXPECT_EQ(cache.Reserve(b.kv, 13).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(b.kv.blocks.size(), 3u);
}

TEST(PrefixCacheTest, DisabledIsAPlainAllocator) {
  auto pool = Pool(4);
  PrefixCache cache(pool.get(), false);
  const std::vector<int32_t> prompt = Tokens(9, 100);
  Seq a = Compute(cache, prompt, 9);
  cache.Release(a.kv, a.chain);
  EXPECT_EQ(cache.cached_blocks(), 0);
  EXPECT_EQ(pool->free_blocks(), 4);
  Seq b = Compute(cache, prompt, 9);
  EXPECT_EQ(b.cached, 0);
}

}  // namespace
}  // namespace inferd::llm
