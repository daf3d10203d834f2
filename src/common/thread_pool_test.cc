#include "common/thread_pool.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

TEST(ThreadPoolTest, ParallelForRunsEveryTaskOnceAcrossManyLoops) {
  ThreadPool pool(2);
  ASSERT_EQ(pool.parallelism(), 3);
  std::vector<std::atomic<int>> hits(97);
  for (int loop = 0; loop < 2000; ++loop) {
    pool.ParallelFor(97, [&](int task, int thread) {
      ASSERT_LT(thread, 3);
      hits[task].fetch_add(1);
    });
  }
  for (const auto& h : hits) EXPECT_EQ(h.load(), 2000);
}

// Every index of [0, n) is covered exactly once, by pieces that start on a
// multiple of the grain and are whole grains except the range's last one,
// for ranges shorter and longer than one piece per thread.
TEST(ThreadPoolTest, ParallelRangeCoversEveryIndexOnce) {
  for (int workers : {0, 1, 3}) {
    ThreadPool pool(workers, /*spin_when_idle=*/true);
    for (int64_t n : {1, 2, 5, 7, 64, 97, 1000}) {
      for (int64_t grain : {1, 3, 8}) {
        std::vector<std::atomic<int>> hits(n);
        std::atomic<bool> bad_piece{false};
        for (int loop = 0; loop < 50; ++loop) {
          pool.ParallelRange(n, grain, [&](int64_t b, int64_t e, int thread) {
            if (thread >= pool.parallelism() || b % grain != 0 || e <= b ||
                e > n || ((e - b) % grain != 0 && e != n)) {
              bad_piece = true;
            }
            for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
          });
        }
        EXPECT_FALSE(bad_piece) << workers << " " << n << " " << grain;
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[i].load(), 50) << "n " << n << " grain " << grain
                                        << " workers " << workers << " i " << i;
        }
      }
    }
  }
}

// A thread held up in its share does not hold the range up: the other
// thread, done with its own share, takes what is left from the back.
TEST(ThreadPoolTest, ParallelRangeTakesFromAStalledShare) {
  ThreadPool pool(1, /*spin_when_idle=*/true);
  constexpr int64_t kN = 64;
  std::vector<std::atomic<int>> by(kN);
  std::atomic<bool> stalled{false};
  pool.ParallelRange(kN, 1, [&](int64_t b, int64_t e, int thread) {
    // The first piece of share 0 (it starts at index 0) stalls until the
    // other thread has taken pieces of share 0 from the back.
    if (b == 0 && !stalled.exchange(true)) {
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (by[kN / 2 - 1].load() == 0 &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
      }
    }
    for (int64_t i = b; i < e; ++i) by[i].store(thread + 1);
  });
  // Share 0 is [0, 32): its first piece (half of it) stalled, and the last
  // index of the share was done by the other thread.
  ASSERT_NE(by[0].load(), 0);
  EXPECT_NE(by[kN / 2 - 1].load(), by[0].load());
  for (int64_t i = 0; i < kN; ++i) EXPECT_NE(by[i].load(), 0) << i;
}

// Workers that went to sleep between loops must wake for the next one.
TEST(ThreadPoolTest, ParallelForWakesSleepingWorkers) {
  ThreadPool pool(1);
  for (int loop = 0; loop < 5; ++loop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::atomic<int> n{0};
    pool.ParallelFor(64, [&](int, int) { n.fetch_add(1); });
    EXPECT_EQ(n.load(), 64);
  }
}

TEST(ThreadPoolTest, WithoutWorkersEverythingRunsOnTheCaller) {
  ThreadPool pool(0);
  const std::thread::id caller = std::this_thread::get_id();
  int posted = 0;
  pool.Post([&] {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++posted;
  });
  EXPECT_EQ(posted, 1);
  int tasks = 0;
  pool.ParallelFor(5, [&](int, int thread) {
    EXPECT_EQ(thread, 0);
    ++tasks;
  });
  EXPECT_EQ(tasks, 5);
}

TEST(ThreadPoolTest, DestructorRunsQueuedClosures) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(2);
    for (int i = 0; i < 100; ++i) pool.Post([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 100);
}

// Routes spdlog's default logger into a string for the test's lifetime.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("captured", std::move(sink)));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

int Count(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A throwing closure must neither end the process (std::terminate) nor the
// worker: the exception is logged once and later closures still run on the
// same thread.
TEST(ThreadPoolTest, ThrowingTaskIsLoggedOnceAndTheWorkerKeepsRunning) {
  CapturedLog log;
  std::thread::id first, second;
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1);
    pool.Post([&] {
      first = std::this_thread::get_id();
      throw std::runtime_error("model file vanished");
    });
    pool.Post([] { throw 42; });
    pool.Post([&] {
      second = std::this_thread::get_id();
      ran.fetch_add(1);
    });
  }
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(first, second);
  EXPECT_EQ(Count(log.str(), "model file vanished"), 1) << log.str();
  EXPECT_EQ(Count(log.str(), "a task threw"), 2) << log.str();
}

TEST(ThreadPoolTest, ThrowingLoopBodyStillRunsTheOtherTasks) {
  CapturedLog log;
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  pool.ParallelFor(32, [&](int task, int) {
    if (task == 7) throw std::out_of_range("task seven");
    ran.fetch_add(1);
  });
  EXPECT_EQ(ran.load(), 31);
  // The pool still works afterwards.
  pool.ParallelFor(32, [&](int, int) { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 63);
  EXPECT_THAT(log.str(), HasSubstr("task seven"));
}

}  // namespace
}  // namespace inferd
