// Poll control mode: ModelRepository::Poll on a temporary repository served
// by the fake backend, and the RepositoryPoller that calls it.

#include <filesystem>
#include <thread>

#include "absl/synchronization/notification.h"
#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "repository/model_repository.h"
#include "repository/repository_poller.h"
#include "repository/testing/repository_index.h"

namespace inferd {
namespace {

using ::inferd::testing::FakeBackend;
using ::inferd::testing::ReasonOf;
using ::inferd::testing::SimpleModelConfig;
using ::inferd::testing::TempModelRepository;
using ::inferd::testing::VersionStates;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr absl::Duration kHang = absl::Seconds(20);

int64_t ServedVersion(const ModelRepository& repository, const std::string& name) {
  absl::StatusOr<ModelHandle> model = repository.Get(name, "");
  return model.ok() ? (*model)->version() : -1;
}

class RepositoryPollTest : public ::testing::Test {
 protected:
  RepositoryPollTest() { backends_.Register({"fake"}, backend_); }

  std::unique_ptr<ModelRepository> Open(Clock* clock = nullptr) {
    ModelRepository::Options options{repo_.root(), ModelControlMode::kPoll, {}, &backends_};
    options.clock = clock;
    absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
        ModelRepository::Create(std::move(options));
    EXPECT_TRUE(repository.ok()) << repository.status();
    if (!repository.ok()) return nullptr;
    (*repository)->LoadStartupModels();
    return *std::move(repository);
  }

  size_t Loads() const { return backend_->loads().size(); }

  TempModelRepository repo_;
  std::shared_ptr<FakeBackend> backend_ = std::make_shared<FakeBackend>();
  BackendRegistry backends_;
};

TEST_F(RepositoryPollTest, LoadsEveryModelAtStartAndRefusesTheLoadApi) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY"));
  absl::Status load = repository->Load("m");
  EXPECT_EQ(load.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(load.message()), HasSubstr("\"poll\""));
  EXPECT_EQ(repository->Unload("m").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(RepositoryPollTest, NothingChangedMeansNoReload) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  repo_.WriteFile("m/labels.txt", "a\nb\n");
  auto repository = Open();
  const size_t loads = Loads();
  ModelHandle before = *repository->Get("m", "");
  EXPECT_EQ(repository->Poll(), 0);
  EXPECT_EQ(repository->Poll(), 0);
  EXPECT_EQ(Loads(), loads);
  EXPECT_EQ(repository->Get("m", "")->get(), before.get());
  // A hidden entry (a version being staged) is not a change either.
  repo_.WriteFile("m/.incoming/model.fake", "half a fi");
  EXPECT_EQ(repository->Poll(), 0);
  EXPECT_EQ(Loads(), loads);
}

TEST_F(RepositoryPollTest, NewVersionSwapsInAndTheOldOneRetires) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  ASSERT_EQ(ServedVersion(*repository, "m"), 1);
  repo_.WriteFile("m/2/model.fake", "ok");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_EQ(ServedVersion(*repository, "m"), 2);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("2:READY"));
  EXPECT_EQ(ReasonOf(*repository, "m", "2"), "");
  EXPECT_TRUE(repository->AllReady());
  // Only the new version loaded: version 1's files did not change.
  EXPECT_THAT(backend_->loads().back().version_dir, HasSubstr("/m/2"));
  EXPECT_EQ(repository->Poll(), 0);
}

TEST_F(RepositoryPollTest, BrokenNewVersionKeepsTheOldOneServingAndSaysWhy) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  repo_.WriteFile("m/2/model.fake", "corrupt download");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_EQ(ServedVersion(*repository, "m"), 1);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY", "2:UNAVAILABLE"));
  EXPECT_THAT(ReasonOf(*repository, "m", "2"), HasSubstr("m/2/model.fake is corrupt"));
  EXPECT_THAT(ReasonOf(*repository, "m", "1"),
              AllOf(StartsWith("reload failed, still serving the version loaded before: "),
                    HasSubstr("version 2")));
  EXPECT_TRUE(repository->AllReady());  // it still serves
  // The same broken files are not loaded again on every poll.
  const size_t loads = Loads();
  EXPECT_EQ(repository->Poll(), 0);
  EXPECT_EQ(Loads(), loads);
  // Fixed: version 2 swaps in.
  repo_.WriteFile("m/2/model.fake", "ok, complete now");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_EQ(ServedVersion(*repository, "m"), 2);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("2:READY"));
}

TEST_F(RepositoryPollTest, ConfigChangeReloadsTheServingVersion) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  EXPECT_EQ((*repository->Get("m", ""))->config().max_batch_size(), 8);
  std::weak_ptr<const ModelVersion> before = *repository->Get("m", "");
  std::string config = SimpleModelConfig("m");
  config.replace(config.find("max_batch_size: 8"), 17, "max_batch_size: 4");
  repo_.WriteFile("m/config.pbtxt", config);
  EXPECT_EQ(repository->Poll(), 1);
  ModelHandle after = *repository->Get("m", "");
  EXPECT_TRUE(before.expired());  // retired and released
  EXPECT_EQ(after->version(), 1);
  EXPECT_EQ(after->config().max_batch_size(), 4);
}

TEST_F(RepositoryPollTest, ConfigEditKeepingItsSizeAndTimeStillReloads) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  const std::string path = repo_.root() + "/m/config.pbtxt";
  const auto time = std::filesystem::last_write_time(path);
  auto repository = Open();
  std::string config = SimpleModelConfig("m");
  config.replace(config.find("max_batch_size: 8"), 17, "max_batch_size: 6");
  repo_.WriteFile("m/config.pbtxt", config);
  std::filesystem::last_write_time(path, time);
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_EQ((*repository->Get("m", ""))->config().max_batch_size(), 6);
}

TEST_F(RepositoryPollTest, BrokenConfigKeepsTheLoadedVersionServing) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  repo_.WriteFile("m/config.pbtxt", "name: \"m\"\ninput [ {\n");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_EQ(ServedVersion(*repository, "m"), 1);
  EXPECT_THAT(ReasonOf(*repository, "m", "1"),
              StartsWith("reload failed, still serving the version loaded before: "));
  EXPECT_EQ(repository->Poll(), 0);
}

TEST_F(RepositoryPollTest, ChangedModelFileReloadsThatVersion) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  std::weak_ptr<const ModelVersion> before = *repository->Get("m", "");
  repo_.WriteFile("m/1/model.fake", "ok, retrained");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_TRUE(before.expired());
  EXPECT_TRUE(repository->Get("m", "").ok());
}

TEST_F(RepositoryPollTest, NewModelLoadsAndRemovedModelUnloads) {
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  auto repository = Open();
  repo_.AddModel("b", SimpleModelConfig("b"), {1});
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_THAT(VersionStates(*repository, "b"), ElementsAre("1:READY"));
  ModelHandle a = *repository->Get("a", "");
  std::thread remover;
  repo_.Remove("a");
  absl::Notification polled;
  remover = std::thread([&] {
    EXPECT_EQ(repository->Poll(), 1);
    polled.Notify();
  });
  // Unloading waits for the request holding the version; it still runs.
  while (repository->Get("a", "").ok()) std::this_thread::yield();
  EXPECT_FALSE(polled.HasBeenNotified());
  a.reset();
  ASSERT_TRUE(polled.WaitForNotificationWithTimeout(kHang));
  remover.join();
  EXPECT_EQ(repository->Get("a", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(VersionStates(*repository, "a"), IsEmpty());
  EXPECT_TRUE(repository->Get("b", "").ok());
}

TEST_F(RepositoryPollTest, VersionPolicyDecidesWhatServesAfterAPoll) {
  repo_.AddModel("m", SimpleModelConfig("m", "version_policy: { latest: { num_versions: 2 } }"),
                 {1, 2});
  auto repository = Open();
  repo_.WriteFile("m/3/model.fake", "ok");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("2:READY", "3:READY"));
  repo_.WriteFile("m/config.pbtxt", SimpleModelConfig("m", "version_policy: { all: {} }"));
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY", "2:READY", "3:READY"));
  repo_.Remove("m/3");
  EXPECT_EQ(repository->Poll(), 1);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY", "2:READY"));
}

TEST_F(RepositoryPollTest, OtherModesNeverPoll) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
      ModelRepository::Create({repo_.root(), ModelControlMode::kNone, {}, &backends_});
  ASSERT_TRUE(repository.ok());
  (*repository)->LoadStartupModels();
  repo_.WriteFile("m/2/model.fake", "ok");
  EXPECT_EQ((*repository)->Poll(), 0);
  EXPECT_EQ(ServedVersion(**repository, "m"), 1);
}

TEST_F(RepositoryPollTest, PollerScansEveryIntervalOfItsClock) {
  FakeClock clock;
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(&clock);
  RepositoryPoller poller(repository.get(), {.interval = absl::Seconds(10), .clock = &clock});
  repo_.WriteFile("m/2/model.fake", "ok");
  const absl::Time give_up = absl::Now() + kHang;
  while (ServedVersion(*repository, "m") != 2 && absl::Now() < give_up) {
    clock.Advance(absl::Seconds(1));
    std::this_thread::yield();
  }
  EXPECT_EQ(ServedVersion(*repository, "m"), 2);
}

}  // namespace
}  // namespace inferd
