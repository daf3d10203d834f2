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
