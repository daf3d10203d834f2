#include "scheduling/model_scheduler.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "backend/testing/fake_model_instance.h"
#include "common/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::inferd::testing::Echo;
using ::inferd::testing::FakeModelInstance;
using ::testing::HasSubstr;

// Generous bound for waits that only time out when the code under test is
// broken (a deadlock or a lost request); never a timing assertion.
constexpr absl::Duration kHang = absl::Seconds(20);

Tensor Scalar(int32_t value) {
  Tensor t;
  t.dtype = DataType::kInt32;
  t.shape = {1};
  t.data.resize(4);
  std::memcpy(t.data.data(), &value, 4);
  return t;
}

int32_t ValueOf(const Tensor& t) {
  int32_t v;
  std::memcpy(&v, t.data.data(), 4);
  return v;
}

std::vector<std::unique_ptr<ModelInstance>> Instances(
    int n, FakeModelInstance::ExecuteFn execute,
    std::vector<FakeModelInstance*>* raw = nullptr) {
  std::vector<std::unique_ptr<ModelInstance>> out;
  for (int i = 0; i < n; ++i) {
    auto instance = std::make_unique<FakeModelInstance>(execute, i);
    if (raw) raw->push_back(instance.get());
    out.push_back(std::move(instance));
  }
  return out;
}

std::unique_ptr<ModelScheduler> Make(int n, FakeModelInstance::ExecuteFn execute,
                                     std::vector<FakeModelInstance*>* raw = nullptr) {
  return ModelScheduler::Create(ModelScheduler::Options{"m:1"},
                                Instances(n, std::move(execute), raw));
}

// Counts completions per request index, and what each one carried.
class Completions {
 public:
  explicit Completions(int n) : calls_(n, 0), values_(n, -1) {}

  ModelScheduler::Completion For(int index) {
    return [this, index](absl::StatusOr<std::vector<Tensor>> result) {
      absl::MutexLock lock(&mu_);
      ++calls_[index];
      if (result.ok() && !result->empty()) {
        values_[index] = ValueOf((*result)[0]);
      } else if (!result.ok()) {
        errors_.push_back(std::string(result.status().message()));
      }
      ++total_;
    };
  }
  // Waits until `n` completions have run in all.
  bool WaitForTotal(int n) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return total_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), kHang);
  }
  int calls(int i) const { absl::MutexLock lock(&mu_); return calls_[i]; }
  int value(int i) const { absl::MutexLock lock(&mu_); return values_[i]; }
  int total() const { absl::MutexLock lock(&mu_); return total_; }
  std::vector<std::string> errors() const { absl::MutexLock lock(&mu_); return errors_; }

 private:
  mutable absl::Mutex mu_;
  std::vector<int> calls_ ABSL_GUARDED_BY(mu_);
  std::vector<int> values_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
  int total_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(ModelSchedulerTest, EveryRequestIsAnsweredExactlyOnceWithItsOwnResult) {
  constexpr int kRequests = 200;
  Completions completions(kRequests);
  std::vector<FakeModelInstance*> instances;
  auto scheduler = Make(3, Echo, &instances);
  // Enqueue from several threads at once.
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&, p] {
      for (int i = p; i < kRequests; i += 4) {
        std::vector<Tensor> inputs;
        inputs.push_back(Scalar(i * 10));
        ASSERT_TRUE(scheduler->Enqueue(std::move(inputs), completions.For(i)).ok());
      }
    });
  }
  for (auto& t : producers) t.join();
  ASSERT_TRUE(completions.WaitForTotal(kRequests));
  scheduler->Drain();
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(completions.calls(i), 1) << "request " << i;
    EXPECT_EQ(completions.value(i), i * 10) << "request " << i;
  }
  EXPECT_EQ(completions.total(), kRequests);
  int executed = 0;
  for (auto* instance : instances) executed += instance->calls();
  EXPECT_EQ(executed, kRequests);
  EXPECT_EQ(scheduler->pending(), 0);
}

TEST(ModelSchedulerTest, InstanceErrorsReachTheCompletion) {
  Completions completions(1);
  auto scheduler = Make(1, [](const std::vector<Tensor>&)
                               -> absl::StatusOr<std::vector<Tensor>> {
    return absl::InternalError("model exploded");
  });
  ASSERT_TRUE(scheduler->Enqueue({Scalar(1)}, completions.For(0)).ok());
  scheduler->Drain();
  EXPECT_EQ(completions.calls(0), 1);
  EXPECT_THAT(completions.errors(), ::testing::ElementsAre("model exploded"));
}

TEST(ModelSchedulerTest, InstancesRunInParallel) {
  // Each Execute waits until all three are inside Execute at the same time;
  // with fewer than three running concurrently none would ever see that.
  constexpr int kInstances = 3;
  absl::Mutex mu;
  int inside = 0;
  absl::Notification all_inside;
  std::vector<FakeModelInstance*> instances;
  auto scheduler = Make(
      kInstances,
      [&](const std::vector<Tensor>& inputs) -> absl::StatusOr<std::vector<Tensor>> {
        {
          absl::MutexLock lock(&mu);
          if (++inside == kInstances) all_inside.Notify();
        }
        const bool met = all_inside.WaitForNotificationWithTimeout(kHang);
        return std::vector<Tensor>{Scalar(met ? 1 : 0)};
      },
      &instances);
  Completions completions(kInstances);
  for (int i = 0; i < kInstances; ++i) {
    ASSERT_TRUE(scheduler->Enqueue({Scalar(i)}, completions.For(i)).ok());
  }
  ASSERT_TRUE(completions.WaitForTotal(kInstances));
  for (int i = 0; i < kInstances; ++i) {
    EXPECT_EQ(completions.value(i), 1) << "request " << i << " ran alone";
  }
  // Each instance took exactly one of the three.
  for (auto* instance : instances) EXPECT_EQ(instance->calls(), 1);
}

TEST(ModelSchedulerTest, DrainWaitsForQueuedWorkAndRefusesNewWork) {
  absl::Notification first_started;
  absl::Notification release;
  std::atomic<bool> released{false};
  auto scheduler = Make(1, [&](const std::vector<Tensor>& inputs)
                               -> absl::StatusOr<std::vector<Tensor>> {
    if (!first_started.HasBeenNotified()) first_started.Notify();
    release.WaitForNotificationWithTimeout(kHang);
    // Records whether the release had happened when this request finished.
    return std::vector<Tensor>{Scalar(released.load() ? 1 : 0)};
  });
  constexpr int kQueued = 4;
  Completions completions(kQueued + 1);
  for (int i = 0; i < kQueued; ++i) {
    ASSERT_TRUE(scheduler->Enqueue({Scalar(i)}, completions.For(i)).ok());
  }
  ASSERT_TRUE(first_started.WaitForNotificationWithTimeout(kHang));
  EXPECT_EQ(scheduler->pending(), kQueued);  // 1 running + 3 queued

  absl::Notification drained;
  std::thread drainer([&] {
    scheduler->Drain();
    drained.Notify();
  });
  // Once Drain has begun, Enqueue refuses without calling the completion.
  // Probes accepted before that are answered like any queued request.
  absl::Mutex probe_mu;
  std::vector<int> probe_calls;
  absl::Status refused;
  for (int probe = 0;; ++probe) {
    {
      absl::MutexLock lock(&probe_mu);
      probe_calls.push_back(0);
    }
    refused = scheduler->Enqueue({Scalar(99)}, [&, probe](auto) {
      absl::MutexLock lock(&probe_mu);
      ++probe_calls[probe];
    });
    if (!refused.ok()) break;
    std::this_thread::yield();
  }
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(refused.message()), HasSubstr("m:1 is unloading"));
  EXPECT_FALSE(drained.HasBeenNotified());

  released.store(true);
  release.Notify();
  ASSERT_TRUE(drained.WaitForNotificationWithTimeout(kHang));
  drainer.join();
  // Everything queued before Drain was answered, after the release.
  for (int i = 0; i < kQueued; ++i) {
    EXPECT_EQ(completions.calls(i), 1) << i;
    EXPECT_EQ(completions.value(i), 1) << i;
  }
  EXPECT_EQ(scheduler->pending(), 0);
  // Probes accepted before Drain began ran too; the refused one never did.
  absl::MutexLock lock(&probe_mu);
  for (size_t i = 0; i + 1 < probe_calls.size(); ++i) {
    EXPECT_EQ(probe_calls[i], 1) << "accepted probe " << i;
  }
  EXPECT_EQ(probe_calls.back(), 0) << "refused probe was answered";
}

TEST(ModelSchedulerTest, RefusedRequestsNeverCallTheirCompletion) {
  auto scheduler = Make(2, Echo);
  scheduler->Drain();
  std::atomic<int> calls{0};
  absl::Status status =
      scheduler->Enqueue({Scalar(1)}, [&](auto) { calls.fetch_add(1); });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(scheduler->pending(), 0);
}

TEST(ModelSchedulerTest, DrainIsIdempotentAndSafeFromManyThreads) {
  auto scheduler = Make(2, Echo);
  Completions completions(10);
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(scheduler->Enqueue({Scalar(i)}, completions.For(i)).ok());
  }
  std::vector<std::thread> drainers;
  for (int i = 0; i < 3; ++i) drainers.emplace_back([&] { scheduler->Drain(); });
  for (auto& t : drainers) t.join();
  scheduler->Drain();
  EXPECT_EQ(completions.total(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(completions.value(i), i);
}

TEST(ModelSchedulerTest, DestructorDrainsQueuedWork) {
  Completions completions(5);
  {
    auto scheduler = Make(1, Echo);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(scheduler->Enqueue({Scalar(i + 1)}, completions.For(i)).ok());
    }
  }
  EXPECT_EQ(completions.total(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(completions.value(i), i + 1);
}

TEST(ModelSchedulerTest, InputsReachTheInstanceUnchanged) {
  std::vector<Tensor> seen;
  absl::Notification done;
  auto scheduler = Make(1, [&](const std::vector<Tensor>& inputs)
                               -> absl::StatusOr<std::vector<Tensor>> {
    seen = inputs;
    return std::vector<Tensor>{};
  });
  Tensor strings{DataType::kBytes, {2}, "", {"a", "bc"}};
  ASSERT_TRUE(scheduler
                  ->Enqueue({Scalar(7), strings},
                            [&](absl::StatusOr<std::vector<Tensor>> r) {
                              EXPECT_TRUE(r.ok());
                              EXPECT_TRUE(r->empty());
                              done.Notify();
                            })
                  .ok());
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kHang));
  scheduler->Drain();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(ValueOf(seen[0]), 7);
  EXPECT_EQ(seen[1].strings, (std::vector<std::string>{"a", "bc"}));
}

TEST(ModelSchedulerTest, WorkQueuedWithNoInstancesIsStillAnswered) {
  auto scheduler = ModelScheduler::Create(ModelScheduler::Options{"m:1"}, {});
  std::atomic<int> calls{0};
  absl::Status status = scheduler->Enqueue({Scalar(1)}, [&](auto) { calls++; });
  scheduler->Drain();
  EXPECT_TRUE(!status.ok() || calls.load() == 1);
}

// ------------------------------------------- batching, queue policy, cancel

// An instance whose first Execute waits for `release`; records the shape of
// input 0 on every call and echoes its inputs.
struct GatedEcho {
  absl::Notification first_started;
  absl::Notification release;
  absl::Mutex mu;
  std::vector<Shape> shapes ABSL_GUARDED_BY(mu);

  FakeModelInstance::ExecuteFn Fn() {
    return [this](const std::vector<Tensor>& inputs)
               -> absl::StatusOr<std::vector<Tensor>> {
      bool first;
      {
        absl::MutexLock lock(&mu);
        first = shapes.empty();
        shapes.push_back(inputs[0].shape);
      }
      if (first) {
        first_started.Notify();
        release.WaitForNotificationWithTimeout(kHang);
      }
      return inputs;
    };
  }
  std::vector<Shape> Shapes() {
    absl::MutexLock lock(&mu);
    return shapes;
  }
};

Tensor Rows(std::vector<int32_t> values, int64_t rows) {
  Tensor t;
  t.dtype = DataType::kInt32;
  t.shape = {rows, static_cast<int64_t>(values.size()) / rows};
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

ModelScheduler::Request RequestOf(Tensor input, int64_t rows,
                                  ModelScheduler::Completion done) {
  ModelScheduler::Request request;
  request.inputs.push_back(std::move(input));
  request.rows = rows;
  request.done = std::move(done);
  return request;
}

// Collects one completion.
struct Result {
  absl::Notification done;
  absl::Mutex mu;
  int calls ABSL_GUARDED_BY(mu) = 0;
  absl::StatusOr<std::vector<Tensor>> value ABSL_GUARDED_BY(mu);

  ModelScheduler::Completion Callback() {
    return [this](absl::StatusOr<std::vector<Tensor>> r) {
      absl::MutexLock lock(&mu);
      value = std::move(r);
      if (++calls == 1) done.Notify();
    };
  }
  absl::StatusOr<std::vector<Tensor>> Wait() {
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kHang)) << "never answered";
    absl::MutexLock lock(&mu);
    return value;
  }
  int Calls() {
    absl::MutexLock lock(&mu);
    return calls;
  }
};

std::vector<int32_t> Int32Values(const Tensor& t) {
  std::vector<int32_t> out(t.data.size() / 4);
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

// A batched model with dynamic batching up to `max_batch_size` rows.
ModelScheduler::Options BatchingOptions(int64_t max_batch_size) {
  ModelScheduler::Options options;
  options.name = "m:1";
  options.batched_model = true;
  options.policy.batching = true;
  options.policy.max_batch_size = max_batch_size;
  return options;
}

TEST(ModelSchedulerTest, BatchingJoinsQueuedRequestsAndSplitsTheOutputs) {
  GatedEcho gate;
  auto scheduler = ModelScheduler::Create(BatchingOptions(8), Instances(1, gate.Fn()));
  Result a, b, c;
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({1, 1}, 1), 1, a.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  // Queued while the instance is busy: they go together next.
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({2, 3, 4, 5}, 2), 2, b.Callback())).ok());
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({6, 7}, 1), 1, c.Callback())).ok());
  gate.release.Notify();
  absl::StatusOr<std::vector<Tensor>> rb = b.Wait();
  absl::StatusOr<std::vector<Tensor>> rc = c.Wait();
  ASSERT_TRUE(a.Wait().ok());
  ASSERT_TRUE(rb.ok()) << rb.status();
  ASSERT_TRUE(rc.ok()) << rc.status();
  EXPECT_THAT(gate.Shapes(), ::testing::ElementsAre(Shape{1, 2}, Shape{3, 2}));
  EXPECT_EQ((*rb)[0].shape, (Shape{2, 2}));
  EXPECT_THAT(Int32Values((*rb)[0]), ::testing::ElementsAre(2, 3, 4, 5));
  EXPECT_EQ((*rc)[0].shape, (Shape{1, 2}));
  EXPECT_THAT(Int32Values((*rc)[0]), ::testing::ElementsAre(6, 7));
  EXPECT_EQ(b.Calls(), 1);
  EXPECT_EQ(c.Calls(), 1);
}

TEST(ModelSchedulerTest, OneRequestsBadValuesFailOnlyThatRequest) {
  // The model refuses a batch holding a negative value, as libtorch refuses
  // an id past an embedding: the request with it gets the error, the one
  // batched with it its own answer.
  GatedEcho gate;
  FakeModelInstance::ExecuteFn echo = gate.Fn();
  auto refuse_negative = [echo](const std::vector<Tensor>& inputs)
      -> absl::StatusOr<std::vector<Tensor>> {
    for (int32_t v : Int32Values(inputs[0])) {
      if (v < 0) return absl::InvalidArgumentError("negative value");
    }
    return echo(inputs);
  };
  auto scheduler = ModelScheduler::Create(BatchingOptions(8), Instances(1, refuse_negative));
  Result a, bad, good;
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({1, 1}, 1), 1, a.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({2, -3}, 1), 1, bad.Callback())).ok());
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({6, 7}, 1), 1, good.Callback())).ok());
  gate.release.Notify();
  ASSERT_TRUE(a.Wait().ok());
  EXPECT_EQ(bad.Wait().status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::vector<Tensor>> rgood = good.Wait();
  ASSERT_TRUE(rgood.ok()) << rgood.status();
  EXPECT_THAT(Int32Values((*rgood)[0]), ::testing::ElementsAre(6, 7));
  EXPECT_EQ(bad.Calls(), 1);
  EXPECT_EQ(good.Calls(), 1);
}

TEST(ModelSchedulerTest, IncompatibleShapesAreNotBatchedTogether) {
  GatedEcho gate;
  auto scheduler = ModelScheduler::Create(BatchingOptions(8), Instances(1, gate.Fn()));
  Result a, b, c;
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({1, 1}, 1), 1, a.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({2, 3}, 1), 1, b.Callback())).ok());
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({4, 5, 6}, 1), 1, c.Callback())).ok());
  gate.release.Notify();
  ASSERT_TRUE(b.Wait().ok());
  absl::StatusOr<std::vector<Tensor>> rc = c.Wait();
  ASSERT_TRUE(rc.ok());
  EXPECT_THAT(Int32Values((*rc)[0]), ::testing::ElementsAre(4, 5, 6));
  EXPECT_THAT(gate.Shapes(),
              ::testing::ElementsAre(Shape{1, 2}, Shape{1, 2}, Shape{1, 3}));
}

TEST(ModelSchedulerTest, PaddedRequestsOfDifferentLengthsBatchPaddedToTheLongest) {
  GatedEcho gate;
  auto scheduler = ModelScheduler::Create(BatchingOptions(8), Instances(1, gate.Fn()));
  auto padded = [](Tensor input, int64_t rows, ModelScheduler::Completion done) {
    ModelScheduler::Request request = RequestOf(std::move(input), rows, std::move(done));
    request.pad_values = {-1};
    return request;
  };
  Result a, b, c, d, e;
  ASSERT_TRUE(scheduler->Enqueue(padded(Rows({1, 1}, 1), 1, a.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  // Lengths 2, 4 and 1 go together, padded to 4 with -1; an unpadded
  // request of length 3 does not join them.
  ASSERT_TRUE(scheduler->Enqueue(padded(Rows({2, 3, 4, 5}, 2), 2, b.Callback())).ok());
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Rows({7, 8, 9}, 1), 1, d.Callback())).ok());
  ASSERT_TRUE(scheduler->Enqueue(padded(Rows({6, 7, 8, 9}, 1), 1, c.Callback())).ok());
  ASSERT_TRUE(scheduler->Enqueue(padded(Rows({10}, 1), 1, e.Callback())).ok());
  gate.release.Notify();
  absl::StatusOr<std::vector<Tensor>> rb = b.Wait();
  absl::StatusOr<std::vector<Tensor>> rc = c.Wait();
  ASSERT_TRUE(rb.ok()) << rb.status();
  ASSERT_TRUE(rc.ok()) << rc.status();
  ASSERT_TRUE(d.Wait().ok());
  EXPECT_THAT(gate.Shapes(),
              ::testing::ElementsAre(Shape{1, 2}, Shape{4, 4}, Shape{1, 3}));
  EXPECT_EQ((*rb)[0].shape, (Shape{2, 4}));
  EXPECT_THAT(Int32Values((*rb)[0]),
              ::testing::ElementsAre(2, 3, -1, -1, 4, 5, -1, -1));
  EXPECT_THAT(Int32Values((*rc)[0]), ::testing::ElementsAre(6, 7, 8, 9));
  absl::StatusOr<std::vector<Tensor>> re = e.Wait();
  ASSERT_TRUE(re.ok()) << re.status();
  EXPECT_THAT(Int32Values((*re)[0]), ::testing::ElementsAre(10, -1, -1, -1));
  ASSERT_TRUE(a.Wait().ok());
}

TEST(ModelSchedulerTest, PaddedShortAndLongRequestsRunAsTwoBatches) {
  GatedEcho gate;
  auto scheduler = ModelScheduler::Create(BatchingOptions(16), Instances(1, gate.Fn()));
  auto padded = [](int64_t length, ModelScheduler::Completion done) {
    ModelScheduler::Request request =
        RequestOf(Rows(std::vector<int32_t>(length, 7), 1), 1, std::move(done));
    request.pad_values = {0};
    return request;
  };
  Result first;
  std::vector<std::unique_ptr<Result>> results;
  ASSERT_TRUE(scheduler->Enqueue(padded(1, first.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  // Queued together: four of length 3 and four of length 40, interleaved.
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::make_unique<Result>());
    ASSERT_TRUE(scheduler->Enqueue(padded(i % 2 ? 3 : 40, results.back()->Callback())).ok());
  }
  gate.release.Notify();
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<std::vector<Tensor>> r = results[i]->Wait();
    ASSERT_TRUE(r.ok()) << r.status();
    // Each comes back padded to the longest of its own group only.
    EXPECT_EQ((*r)[0].shape, (Shape{1, i % 2 ? 3 : 40})) << i;
  }
  EXPECT_THAT(gate.Shapes(),
              ::testing::ElementsAre(Shape{1, 1}, Shape{4, 3}, Shape{4, 40}));
}

TEST(ModelSchedulerTest, CancelAnswersAQueuedRequestOnceAndLeavesRunningOnes) {
  GatedEcho gate;
  auto scheduler = Make(1, gate.Fn());
  Result running, queued;
  absl::StatusOr<ModelScheduler::RequestId> running_id =
      scheduler->Enqueue(RequestOf(Scalar(1), 1, running.Callback()));
  ASSERT_TRUE(running_id.ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  absl::StatusOr<ModelScheduler::RequestId> queued_id =
      scheduler->Enqueue(RequestOf(Scalar(2), 1, queued.Callback()));
  ASSERT_TRUE(queued_id.ok());
  EXPECT_NE(*running_id, *queued_id);

  scheduler->Cancel(*queued_id);
  absl::StatusOr<std::vector<Tensor>> cancelled = queued.Wait();
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled);
  scheduler->Cancel(*queued_id);   // twice: no second completion
  scheduler->Cancel(*running_id);  // already running: finishes normally
  gate.release.Notify();
  absl::StatusOr<std::vector<Tensor>> finished = running.Wait();
  ASSERT_TRUE(finished.ok()) << finished.status();
  EXPECT_EQ(ValueOf((*finished)[0]), 1);
  scheduler->Drain();
  EXPECT_EQ(queued.Calls(), 1);
  EXPECT_EQ(running.Calls(), 1);
  EXPECT_EQ(gate.Shapes().size(), 1u);  // the cancelled one never ran
}

TEST(ModelSchedulerTest, QueueTimeoutAnswersAtTheDeadlineWithoutRunning) {
  FakeClock clock;
  GatedEcho gate;
  ModelScheduler::Options options;
  options.name = "m:1";
  options.clock = &clock;
  options.policy.default_queue_policy.default_timeout = absl::Seconds(1);
  auto scheduler = ModelScheduler::Create(options, Instances(1, gate.Fn()));
  Result first, waits;
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Scalar(1), 1, first.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Scalar(2), 1, waits.Callback())).ok());
  clock.Advance(absl::Milliseconds(500));  // not yet
  EXPECT_FALSE(waits.done.WaitForNotificationWithTimeout(absl::Milliseconds(100)));
  clock.Advance(absl::Seconds(1));
  // Answered at its deadline, while the first request still holds the
  // only instance (before, it waited for that batch to end).
  ASSERT_TRUE(waits.done.WaitForNotificationWithTimeout(absl::Seconds(5)))
      << "the expired request waited for the running batch";
  absl::StatusOr<std::vector<Tensor>> late = waits.Wait();
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(late.status().message()), HasSubstr("timed out in the queue"));
  EXPECT_FALSE(first.done.HasBeenNotified());
  gate.release.Notify();
  EXPECT_TRUE(first.Wait().ok());
  EXPECT_EQ(waits.Calls(), 1);
  scheduler->Drain();
  EXPECT_EQ(gate.Shapes().size(), 1u);
}

TEST(ModelSchedulerTest, FullQueueRefusesAtOnce) {
  GatedEcho gate;
  ModelScheduler::Options options;
  options.name = "m:1";
  options.policy.default_queue_policy.max_queue_size = 1;
  auto scheduler = ModelScheduler::Create(options, Instances(1, gate.Fn()));
  Result running, queued;
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Scalar(1), 1, running.Callback())).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Scalar(2), 1, queued.Callback())).ok());
  std::atomic<int> refused_calls{0};
  absl::StatusOr<ModelScheduler::RequestId> refused = scheduler->Enqueue(
      RequestOf(Scalar(3), 1, [&](auto) { refused_calls.fetch_add(1); }));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("queue is full"));
  gate.release.Notify();
  EXPECT_TRUE(running.Wait().ok());
  EXPECT_TRUE(queued.Wait().ok());
  scheduler->Drain();
  EXPECT_EQ(refused_calls.load(), 0);
}

TEST(ModelSchedulerTest, PreserveOrderingHoldsLaterCompletions) {
  // Two instances: the first request blocks on one; the second finishes on
  // the other but must not complete before the first.
  GatedEcho gate;
  ModelScheduler::Options options;
  options.name = "m:1";
  options.preserve_ordering = true;
  auto scheduler = ModelScheduler::Create(options, Instances(2, gate.Fn()));
  absl::Mutex order_mu;
  std::vector<int> order;
  Result first, second;
  auto record = [&](int which, Result* result) {
    ModelScheduler::Completion inner = result->Callback();
    return [&, which, inner](absl::StatusOr<std::vector<Tensor>> r) {
      {
        absl::MutexLock lock(&order_mu);
        order.push_back(which);
      }
      inner(std::move(r));
    };
  };
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Scalar(1), 1, record(1, &first))).ok());
  ASSERT_TRUE(gate.first_started.WaitForNotificationWithTimeout(kHang));
  ASSERT_TRUE(scheduler->Enqueue(RequestOf(Scalar(2), 1, record(2, &second))).ok());
  // Wait until the second has run on the other instance (only the first is
  // still pending), then check its completion was held back.
  while (scheduler->pending() > 1) std::this_thread::yield();
  EXPECT_EQ(second.Calls(), 0);
  gate.release.Notify();
  EXPECT_TRUE(first.Wait().ok());
  EXPECT_TRUE(second.Wait().ok());
  absl::MutexLock lock(&order_mu);
  EXPECT_THAT(order, ::testing::ElementsAre(1, 2));
}

TEST(ModelSchedulerTest, BadPriorityIsInvalidArgument) {
  ModelScheduler::Options options;
  options.name = "m:1";
  options.policy.priority_levels = 2;
  auto scheduler = ModelScheduler::Create(options, Instances(1, Echo));
  std::atomic<int> calls{0};
  ModelScheduler::Request request = RequestOf(Scalar(1), 1, [&](auto) { calls++; });
  request.priority = 3;
  absl::StatusOr<ModelScheduler::RequestId> id = scheduler->Enqueue(std::move(request));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(id.status().message()), HasSubstr("outside 1..2"));
  scheduler->Drain();
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace inferd
