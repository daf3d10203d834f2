#include "backend/llm/thread_pool.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

TEST(ThreadPoolTest, RunsEveryTaskOnceAcrossManyLoops) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(97);
  for (int loop = 0; loop < 2000; ++loop) {
    pool.ParallelFor(97, [&](int task, int thread) {
      ASSERT_LT(thread, 3);
      hits[task].fetch_add(1);
    });
  }
  for (const auto& h : hits) EXPECT_EQ(h.load(), 2000);
}

// Workers that went to sleep between loops must wake for the next one.
TEST(ThreadPoolTest, WakesSleepingWorkers) {
  ThreadPool pool(2);
  for (int loop = 0; loop < 5; ++loop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::atomic<int> n{0};
    pool.ParallelFor(64, [&](int, int) { n.fetch_add(1); });
    EXPECT_EQ(n.load(), 64);
  }
}

}  // namespace
}  // namespace inferd::llm
