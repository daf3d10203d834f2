#include "serving/task_runner.h"

#include <atomic>
#include <cstring>
#include <memory>

#include "absl/synchronization/notification.h"
#include "backend/testing/fake_model_instance.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::inferd::testing::Echo;
using ::inferd::testing::FakeModelInstance;

constexpr absl::Duration kHang = absl::Seconds(20);

// Numbers in, the model's echo of them out: enough pipeline to drive
// RunTask without a tokenizer or an image decoder.
class NumberPipeline : public pipelines::TaskPipeline {
 public:
  std::string_view task() const override { return "number"; }
  absl::StatusOr<std::unique_ptr<pipelines::TaskParameters>> ParseParameters(
      const boost::json::object*) const override {
    return std::make_unique<pipelines::TaskParameters>();
  }
  absl::StatusOr<pipelines::Features> Preprocess(
      const pipelines::TaskInstance& instance,
      const pipelines::TaskParameters&) const override {
    if (!instance.json->is_number()) return absl::InvalidArgumentError("not a number");
    const float value = static_cast<float>(instance.json->to_number<double>());
    pipelines::Features features;
    Tensor t;
    t.dtype = DataType::kFp32;
    t.shape = {1, 1};
    t.data.resize(4);
    std::memcpy(t.data.data(), &value, 4);
    features.inputs.push_back(std::move(t));
    return features;
  }
  absl::StatusOr<boost::json::value> Postprocess(
      const pipelines::Features&, const std::vector<Tensor>& outputs,
      const pipelines::TaskParameters&) const override {
    float value;
    std::memcpy(&value, outputs[0].data.data(), 4);
    return boost::json::value(value);
  }
};

class TaskRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config::ModelConfig config;
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
      name: "m" max_batch_size: 4
      input { name: "x" data_type: TYPE_FP32 dims: [1] }
      output { name: "y" data_type: TYPE_FP32 dims: [1] }
    )pb", &config));
    absl::StatusOr<ModelSignature> signature = ModelSignature::Create(config);
    ASSERT_TRUE(signature.ok()) << signature.status();
    auto version = std::make_shared<ModelVersion>("m", 1, config, *std::move(signature));
    std::vector<std::unique_ptr<ModelInstance>> instances;
    // Echo, held at the gate while a test keeps the executor busy.
    instances.push_back(std::make_unique<FakeModelInstance>(
        [this](const std::vector<Tensor>& inputs) -> absl::StatusOr<std::vector<Tensor>> {
          if (hold_.load()) {
            if (!holding_.HasBeenNotified()) holding_.Notify();
            gate_.WaitForNotification();
          }
          return Echo(inputs);
        }));
    ModelScheduler::Options options{"m:1"};
    options.batched_model = true;
    version->set_scheduler(ModelScheduler::Create(options, std::move(instances)));
    model_ = version;
  }

  std::shared_ptr<TaskCall> Call(const boost::json::value& body) {
    auto call = std::make_shared<TaskCall>();
    call->model = model_;
    call->pipeline = &pipeline_;
    call->body = std::make_shared<const boost::json::value>(body);
    for (const boost::json::value& v : call->body->as_array()) {
      call->instances.push_back(pipelines::TaskInstance{&v});
    }
    call->parameters = std::make_unique<pipelines::TaskParameters>();
    return call;
  }

  std::atomic<bool> hold_{false};
  absl::Notification holding_;  // the executor is inside a held batch
  absl::Notification gate_;
  ThreadPool pool_{2};
  NumberPipeline pipeline_;
  ModelHandle model_;
};

TEST_F(TaskRunnerTest, RunsEveryInstanceThroughTheModel) {
  auto call = Call(boost::json::array{1.5, "bad", 3});
  absl::Notification done;
  absl::StatusOr<TaskOutcome> outcome;
  RunTask(&pool_, call, [&](absl::StatusOr<TaskOutcome> result) {
    outcome = std::move(result);
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kHang));
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  ASSERT_EQ(outcome->predictions.size(), 3u);
  EXPECT_EQ(outcome->succeeded, 2);
  EXPECT_EQ(outcome->failed, 1);
  EXPECT_EQ(outcome->predictions[0]->as_double(), 1.5);
  EXPECT_FALSE(outcome->predictions[1].ok());
  EXPECT_EQ(outcome->predictions[2]->as_double(), 3.0);
}

// The client's cancel signal lives as long as its HTTP request; a finished
// call must not be kept alive by the cancel action it registered (that
// cycle leaked every :predict and /v1/embeddings request, with its images
// and the model version).
TEST_F(TaskRunnerTest, FinishedCallIsNotKeptAliveByTheCancelSignal) {
  auto cancel = std::make_shared<CancelSignal>();
  std::weak_ptr<TaskCall> watched;
  {
    auto call = Call(boost::json::array{1, 2});
    call->cancel = cancel;
    watched = call;
    absl::Notification done;
    RunTask(&pool_, std::move(call), [&](absl::StatusOr<TaskOutcome> result) {
      EXPECT_TRUE(result.ok()) << result.status();
      done.Notify();
    });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(kHang));
  }
  // `done` runs inside the pool task that still holds the run; wait for the
  // pool to let go of it.
  const absl::Time deadline = absl::Now() + kHang;
  while (!watched.expired() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(watched.expired());
  cancel->Cancel();  // the action of a finished call does nothing
}

TEST_F(TaskRunnerTest, ACancelledCallIsDroppedFromTheQueue) {
  // The executor is busy with a blocker, so the call's instance waits in
  // the queue; its caller has gone away, so it is dropped from there and
  // the call ends Cancelled without running.
  hold_ = true;
  absl::Notification blocker_done;
  ModelScheduler::Request blocker;
  Tensor t;
  t.dtype = DataType::kFp32;
  t.shape = {1, 1};
  t.data.resize(4);
  blocker.inputs.push_back(std::move(t));
  blocker.rows = 1;
  blocker.done = [&](absl::StatusOr<std::vector<Tensor>>) { blocker_done.Notify(); };
  ASSERT_TRUE(model_->scheduler().Enqueue(std::move(blocker)).ok());
  ASSERT_TRUE(holding_.WaitForNotificationWithTimeout(kHang));

  auto cancel = std::make_shared<CancelSignal>();
  cancel->Cancel();
  auto call = Call(boost::json::array{1});
  call->cancel = cancel;
  absl::Notification done;
  absl::StatusOr<TaskOutcome> outcome;
  RunTask(&pool_, call, [&](absl::StatusOr<TaskOutcome> result) {
    outcome = std::move(result);
    done.Notify();
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kHang));  // before the gate opens
  EXPECT_TRUE(absl::IsCancelled(outcome.status())) << outcome.status();
  gate_.Notify();
  ASSERT_TRUE(blocker_done.WaitForNotificationWithTimeout(kHang));
}


// A request that outlives its model's unload can hold the last handle; it is
// then released on the model's own executor thread, which must not try to
// join itself (std::system_error "Resource deadlock avoided" ended the
// process).
TEST_F(TaskRunnerTest, TheLastHandleMayBeDroppedOnTheModelsOwnExecutor) {
  std::weak_ptr<const ModelVersion> weak = model_;
  absl::Notification released;
  ModelScheduler::Request request;
  Tensor t;
  t.dtype = DataType::kFp32;
  t.shape = {1, 1};
  t.data.resize(4);
  request.inputs.push_back(std::move(t));
  request.rows = 1;
  request.done = [handle = model_, &released](absl::StatusOr<std::vector<Tensor>>) {
    released.WaitForNotification();  // the test has dropped its own handle
  };
  ASSERT_TRUE(model_->scheduler().Enqueue(std::move(request)).ok());
  model_.reset();
  released.Notify();
  const absl::Time deadline = absl::Now() + kHang;
  while (!weak.expired() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace inferd
