#include "backend/llm/kv_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

// Pages of [p, p + bytes) that are backed by memory now.
int64_t ResidentPages(const uint8_t* p, int64_t bytes) {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t first = reinterpret_cast<uintptr_t>(p) / page * page;
  const uintptr_t end =
      (reinterpret_cast<uintptr_t>(p) + bytes + page - 1) / page * page;
  std::vector<unsigned char> in_core((end - first) / page);
  if (mincore(reinterpret_cast<void*>(first), end - first, in_core.data()) !=
      0) {
    return -1;
  }
  int64_t n = 0;
  for (unsigned char c : in_core) n += c & 1;
  return n;
}

// A block's pages are backed when the block is taken (one system call),
// not faulted in one by one as decode steps write its positions; the rest
// of the pool stays reserved only.
TEST(KvCacheTest, TakingABlockBacksItsPages) {
  const int64_t page = sysconf(_SC_PAGESIZE);
  // 4 layers x K and V x 16 positions x 256 f16 values: 64 KiB a block.
  auto cache = KvCache::Create({4, 256, 16, 64, GgmlType::kF16, 64}).value();
  ASSERT_EQ(cache->block_bytes() % page, 0);
  SequenceKv seq;
  ASSERT_TRUE(cache->Reserve(seq, 16).ok());
  ASSERT_EQ(seq.blocks.size(), 1u);
  const uint8_t* start = cache->Key(seq, 0, 0);
  EXPECT_EQ(ResidentPages(start, cache->block_bytes()),
            cache->block_bytes() / page);
  // The pool's next block is not backed until it is taken.
  SequenceKv other;
  const uint8_t* after = start + cache->block_bytes();
  EXPECT_EQ(ResidentPages(after, cache->block_bytes()), 0);
  ASSERT_TRUE(cache->Reserve(other, 1).ok());
  EXPECT_EQ(cache->Key(other, 0, 0), after);
  EXPECT_EQ(ResidentPages(after, cache->block_bytes()),
            cache->block_bytes() / page);
}

}  // namespace
}  // namespace inferd::llm
