#include "repository/model_repository.h"

#include <atomic>
#include <cstring>
#include <thread>

#include "absl/synchronization/notification.h"
#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::inferd::testing::FakeBackend;
using ::inferd::testing::FakeModelInstance;
using ::inferd::testing::SimpleModelConfig;
using ::inferd::testing::TempModelRepository;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::Duration kHang = absl::Seconds(20);

Tensor Int32s(Shape shape, int32_t fill) {
  Tensor t;
  t.dtype = DataType::kInt32;
  t.shape = std::move(shape);
  t.data.resize(ElementCount(t.shape) * 4);
  for (int64_t i = 0; i < ElementCount(t.shape); ++i) {
    std::memcpy(t.data.data() + 4 * i, &fill, 4);
  }
  return t;
}

// Runs one request on `model` and waits for its answer.
absl::StatusOr<std::vector<Tensor>> RunOnce(const ModelHandle& model) {
  absl::Notification done;
  absl::StatusOr<std::vector<Tensor>> result;
  absl::Status queued = model->scheduler().Enqueue(
      {Int32s({1, 16}, 5), Int32s({1, 16}, 2)},
      [&](absl::StatusOr<std::vector<Tensor>> r) {
        result = std::move(r);
        done.Notify();
      });
  if (!queued.ok()) return queued;
  if (!done.WaitForNotificationWithTimeout(kHang)) {
    return absl::DeadlineExceededError("no answer");
  }
  return result;
}

// Versions of `name` in Index() as "version:STATE" strings.
std::vector<std::string> VersionStates(const ModelRepository& repository,
                                       std::string_view name) {
  std::vector<std::string> out;
  for (const ModelStatus& model : repository.Index()) {
    if (model.name != name) continue;
    for (const VersionStatus& v : model.versions) {
      out.push_back(v.version + ":" + std::string(ModelStateName(v.state)));
    }
  }
  return out;
}

std::string ReasonOf(const ModelRepository& repository, std::string_view name,
                     std::string_view version) {
  for (const ModelStatus& model : repository.Index()) {
    if (model.name != name) continue;
    for (const VersionStatus& v : model.versions) {
      if (v.version == version) return v.reason;
    }
  }
  return "<no such entry>";
}

class ModelRepositoryTest : public ::testing::Test {
 protected:
  ModelRepositoryTest() { backends_.Register({"fake"}, backend_); }

  std::unique_ptr<ModelRepository> Open(
      ModelControlMode mode = ModelControlMode::kNone,
      std::vector<std::string> startup = {}) {
    absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
        ModelRepository::Create({repo_.root(), mode, std::move(startup), &backends_});
    EXPECT_TRUE(repository.ok()) << repository.status();
    if (!repository.ok()) return nullptr;
    (*repository)->LoadStartupModels();
    return *std::move(repository);
  }

  TempModelRepository repo_;
  std::shared_ptr<FakeBackend> backend_ = std::make_shared<FakeBackend>();
  BackendRegistry backends_;
};

TEST_F(ModelRepositoryTest, CreateRejectsAMissingFolderOrNoBackends) {
  absl::StatusOr<std::unique_ptr<ModelRepository>> missing = ModelRepository::Create(
      {repo_.root() + "/nope", ModelControlMode::kNone, {}, &backends_});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("is not a directory"));
  absl::StatusOr<std::unique_ptr<ModelRepository>> no_backends =
      ModelRepository::Create({repo_.root(), ModelControlMode::kNone, {}, nullptr});
  EXPECT_EQ(no_backends.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ModelRepositoryTest, ModeNoneLoadsEveryModelFolder) {
  repo_.AddModel("b", SimpleModelConfig("b"), {1});
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  repo_.MakeDir(".hidden/1");
  repo_.WriteFile("README.md", "not a model");
  auto repository = Open();
  EXPECT_TRUE(repository->startup_done());
  EXPECT_TRUE(repository->AllReady());
  std::vector<ModelStatus> index = repository->Index();
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index[0].name, "a");
  EXPECT_EQ(index[1].name, "b");
  EXPECT_THAT(VersionStates(*repository, "a"), ElementsAre("1:READY"));
  absl::StatusOr<ModelHandle> a = repository->Get("a", "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ((*a)->name(), "a");
  EXPECT_EQ((*a)->version(), 1);
  EXPECT_EQ((*a)->version_string(), "1");
  EXPECT_EQ((*a)->config().backend(), "fake");
  // The loaded model really runs: AddSub on 5 and 2.
  absl::StatusOr<std::vector<Tensor>> out = RunOnce(*a);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[0].data_as<int32_t>()[15], 7);
  EXPECT_EQ((*out)[1].data_as<int32_t>()[0], 3);
}

TEST_F(ModelRepositoryTest, BrokenConfigIsUnavailableWithReasonAndOthersServe) {
  repo_.AddModel("good", SimpleModelConfig("good"), {1});
  repo_.AddModel("bad", "name: \"bad\"\ninput [ { name: \n", {1});
  auto repository = Open();
  EXPECT_TRUE(repository->startup_done());
  EXPECT_FALSE(repository->AllReady());
  EXPECT_THAT(VersionStates(*repository, "bad"), ElementsAre(":UNAVAILABLE"));
  EXPECT_THAT(ReasonOf(*repository, "bad", ""), StartsWith("config.pbtxt: line 3"));
  absl::StatusOr<ModelHandle> bad = repository->Get("bad", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("model \"bad\" is unavailable: config.pbtxt: line 3"));
  EXPECT_TRUE(repository->Get("good", "").ok());
}

TEST_F(ModelRepositoryTest, ConfigNameMismatchIsUnavailable) {
  repo_.AddModel("folder", SimpleModelConfig("other"), {1});
  auto repository = Open();
  EXPECT_EQ(ReasonOf(*repository, "folder", ""),
            "config.pbtxt: config name \"other\" does not match the model "
            "folder \"folder\"");
}

TEST_F(ModelRepositoryTest, MissingOrCorruptModelFileMakesTheVersionUnavailable) {
  repo_.WriteFile("missing/config.pbtxt", SimpleModelConfig("missing"));
  repo_.MakeDir("missing/1");
  repo_.WriteFile("corrupt/config.pbtxt", SimpleModelConfig("corrupt"));
  repo_.WriteFile("corrupt/1/model.fake", "corrupt bytes");
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "missing"), ElementsAre("1:UNAVAILABLE"));
  EXPECT_THAT(ReasonOf(*repository, "missing", "1"),
              HasSubstr("missing/1/model.fake is missing"));
  EXPECT_THAT(ReasonOf(*repository, "corrupt", "1"),
              HasSubstr("corrupt/1/model.fake is corrupt"));

  absl::StatusOr<ModelHandle> latest = repository->Get("missing", "");
  EXPECT_EQ(latest.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(latest.status().message()),
              HasSubstr("has no ready version: UNAVAILABLE ("));
  absl::StatusOr<ModelHandle> v1 = repository->Get("corrupt", "1");
  EXPECT_EQ(v1.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(v1.status().message()),
              HasSubstr("version 1 is UNAVAILABLE: "));
}

TEST_F(ModelRepositoryTest, ModelWithoutVersionFoldersIsUnavailable) {
  repo_.WriteFile("empty/config.pbtxt", SimpleModelConfig("empty"));
  repo_.MakeDir("empty/latest");  // not numeric
  repo_.MakeDir("empty/-1");      // negative
  auto repository = Open();
  EXPECT_THAT(ReasonOf(*repository, "empty", ""),
              HasSubstr("no numeric version folder"));
  EXPECT_EQ(repository->Get("empty", "").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ModelRepositoryTest, ModelWithoutConfigIsUnavailable) {
  repo_.WriteFile("noconfig/1/model.fake", "ok");
  auto repository = Open();
  EXPECT_THAT(ReasonOf(*repository, "noconfig", ""),
              HasSubstr("config.pbtxt not found"));
}

TEST_F(ModelRepositoryTest, UnknownBackendIsUnavailableNamingIt) {
  std::string config = SimpleModelConfig("onnx");
  config.replace(config.find("backend: \"fake\""), 15, "backend: \"onnxruntime\"");
  repo_.AddModel("onnx", config, {1});
  auto repository = Open();
  EXPECT_THAT(ReasonOf(*repository, "onnx", "1"),
              HasSubstr("no backend for platform \"\" / backend \"onnxruntime\""));
}

TEST_F(ModelRepositoryTest, DefaultPolicyServesOnlyTheLatestVersion) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1, 2, 3});
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("3:READY"));
  EXPECT_EQ((*repository->Get("m", ""))->version(), 3);
  absl::StatusOr<ModelHandle> v1 = repository->Get("m", "1");
  EXPECT_EQ(v1.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(v1.status().message(), "model \"m\" has no version \"1\"");
}

TEST_F(ModelRepositoryTest, LatestTwoAllAndSpecificPolicies) {
  repo_.AddModel("latest2", SimpleModelConfig("latest2",
      "version_policy: { latest: { num_versions: 2 } }"), {1, 2, 3});
  repo_.AddModel("all", SimpleModelConfig("all", "version_policy: { all: {} }"),
                 {1, 2, 3});
  repo_.AddModel("specific", SimpleModelConfig("specific",
      "version_policy: { specific: { versions: [ 1, 3, 9 ] } }"), {1, 2, 3});
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "latest2"), ElementsAre("2:READY", "3:READY"));
  EXPECT_THAT(VersionStates(*repository, "all"),
              ElementsAre("1:READY", "2:READY", "3:READY"));
  EXPECT_THAT(VersionStates(*repository, "specific"), ElementsAre("1:READY", "3:READY"));
  EXPECT_EQ((*repository->Get("all", "1"))->version(), 1);
  EXPECT_EQ((*repository->Get("specific", ""))->version(), 3);
  EXPECT_EQ(repository->Get("specific", "2").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ModelRepositoryTest, SpecificPolicyMatchingNoFolderIsUnavailable) {
  repo_.AddModel("m", SimpleModelConfig("m",
      "version_policy: { specific: { versions: [ 4 ] } }"), {1});
  auto repository = Open();
  EXPECT_THAT(ReasonOf(*repository, "m", ""),
              HasSubstr("version_policy selects none of the version folders"));
}

TEST_F(ModelRepositoryTest, LatestReadyVersionServesWhenANewerOneIsBroken) {
  repo_.AddModel("m", SimpleModelConfig("m", "version_policy: { all: {} }"), {1});
  repo_.WriteFile("m/2/model.fake", "corrupt");
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY", "2:UNAVAILABLE"));
  EXPECT_EQ((*repository->Get("m", ""))->version(), 1);
  EXPECT_EQ(repository->Get("m", "2").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(repository->AllReady());
}

TEST_F(ModelRepositoryTest, GetTellsNotFoundFromUnavailable) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  absl::StatusOr<ModelHandle> unknown = repository->Get("nope", "");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "unknown model \"nope\"");
  EXPECT_EQ(repository->Get("m", "7").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repository->Get("m", "one").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(repository->Get("m", "1").ok());
}

TEST_F(ModelRepositoryTest, EachInstanceOfTheGroupIsCreated) {
  repo_.AddModel("m", SimpleModelConfig("m",
      "instance_group [ { count: 2 }, { count: 1 kind: KIND_CPU } ]"), {4});
  auto repository = Open();
  std::vector<FakeBackend::Load> loads = backend_->loads();
  ASSERT_EQ(loads.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(loads[i].instance_index, i);
    EXPECT_EQ(loads[i].version_dir, repo_.root() + "/m/4");
    EXPECT_TRUE(loads[i].had_config_and_signature);
  }
}

TEST_F(ModelRepositoryTest, ControlModeNoneRefusesLoadAndUnload) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open();
  absl::Status load = repository->Load("m");
  EXPECT_EQ(load.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(load.message()), HasSubstr("--model-control-mode explicit"));
  EXPECT_EQ(repository->Unload("m").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(repository->Get("m", "").ok());  // still serving
}

TEST_F(ModelRepositoryTest, ExplicitModeLoadsOnlyWhatItIsTold) {
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  repo_.AddModel("b", SimpleModelConfig("b"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"a"});
  EXPECT_TRUE(repository->Get("a", "").ok());
  absl::StatusOr<ModelHandle> b = repository->Get("b", "");
  EXPECT_EQ(b.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(b.status().message(), "model \"b\" is not loaded");
  EXPECT_THAT(VersionStates(*repository, "b"), ElementsAre(":UNAVAILABLE"));
  EXPECT_EQ(ReasonOf(*repository, "b", ""), "not loaded");
  EXPECT_TRUE(repository->AllReady());  // b was never asked for

  ASSERT_TRUE(repository->Load("b").ok());
  EXPECT_TRUE(repository->Get("b", "").ok());
  EXPECT_THAT(VersionStates(*repository, "b"), ElementsAre("1:READY"));
}

TEST_F(ModelRepositoryTest, ExplicitStartupModelThatDoesNotExistIsReported) {
  auto repository = Open(ModelControlMode::kExplicit, {"ghost"});
  EXPECT_FALSE(repository->AllReady());
  EXPECT_THAT(ReasonOf(*repository, "ghost", ""), HasSubstr("is not in the repository"));
}

TEST_F(ModelRepositoryTest, LoadAndUnloadOfUnknownModelsAreNotFound) {
  auto repository = Open(ModelControlMode::kExplicit);
  EXPECT_EQ(repository->Load("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repository->Load("").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repository->Load("..").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repository->Load("a/../b").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repository->Unload("nope").code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRepositoryTest, LoadReturnsTheReasonAFailedLoadGives) {
  repo_.WriteFile("m/config.pbtxt", SimpleModelConfig("m"));
  repo_.WriteFile("m/1/model.fake", "corrupt");
  auto repository = Open(ModelControlMode::kExplicit);
  absl::Status status = repository->Load("m");
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(std::string(status.message()), HasSubstr("model.fake is corrupt"));
}

TEST_F(ModelRepositoryTest, UnloadThenGetIsUnavailable) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  absl::StatusOr<ModelHandle> held = repository->Get("m", "");
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(repository->Unload("m").ok());
  absl::StatusOr<ModelHandle> after = repository->Get("m", "");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(after.status().message()), HasSubstr("unloaded"));
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:UNAVAILABLE"));
  EXPECT_EQ(ReasonOf(*repository, "m", "1"), "unloaded");
  EXPECT_TRUE(repository->AllReady());  // no longer meant to be loaded
  // A handle taken before the unload no longer accepts work.
  EXPECT_EQ(RunOnce(*held).status().code(), absl::StatusCode::kUnavailable);
  // Unloading a model in the folder that is not loaded is fine.
  repo_.AddModel("idle", SimpleModelConfig("idle"), {1});
  EXPECT_TRUE(repository->Unload("idle").ok());
  // And it can come back.
  ASSERT_TRUE(repository->Load("m").ok());
  EXPECT_TRUE(RunOnce(*repository->Get("m", "")).ok());
}

TEST_F(ModelRepositoryTest, ReloadServesANewVersionAndRetiresTheOld) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  absl::StatusOr<ModelHandle> v1 = repository->Get("m", "");
  ASSERT_TRUE(v1.ok());
  repo_.WriteFile("m/2/model.fake", "ok");
  ASSERT_TRUE(repository->Load("m").ok());
  EXPECT_EQ((*repository->Get("m", ""))->version(), 2);
  EXPECT_EQ(repository->Get("m", "1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("2:READY"));
  EXPECT_EQ(RunOnce(*v1).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ModelRepositoryTest, FailedReloadOfAVersionKeepsTheOldOneServing) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  repo_.WriteFile("m/1/model.fake", "corrupt now");
  EXPECT_FALSE(repository->Load("m").ok());
  absl::StatusOr<ModelHandle> still = repository->Get("m", "1");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_TRUE(RunOnce(*still).ok());
}

TEST_F(ModelRepositoryTest, ReloadWithABrokenConfigKeepsTheOldVersionsServing) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  repo_.WriteFile("m/config.pbtxt", "name: \"m\"\ninput [ {\n");
  EXPECT_FALSE(repository->Load("m").ok());
  absl::StatusOr<ModelHandle> still = repository->Get("m", "");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_TRUE(RunOnce(*still).ok());
}

TEST_F(ModelRepositoryTest, UnloadWaitsForInFlightRequests) {
  absl::Notification started;
  absl::Notification release;
  std::atomic<bool> released{false};
  BackendRegistry backends;
  backends.Register(
      {"fake"},
      std::make_shared<FakeBackend>(
          [&](const std::vector<Tensor>& inputs)
              -> absl::StatusOr<std::vector<Tensor>> {
            if (!started.HasBeenNotified()) started.Notify();
            release.WaitForNotificationWithTimeout(kHang);
            if (!released.load()) return absl::InternalError("ran past the gate");
            return inputs;
          }));
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  absl::StatusOr<std::unique_ptr<ModelRepository>> created = ModelRepository::Create(
      {repo_.root(), ModelControlMode::kExplicit, {"m"}, &backends});
  ASSERT_TRUE(created.ok());
  std::unique_ptr<ModelRepository> repository = *std::move(created);
  repository->LoadStartupModels();
  ModelHandle model = *repository->Get("m", "");

  absl::Notification answered;
  absl::StatusOr<std::vector<Tensor>> result;
  ASSERT_TRUE(model->scheduler()
                  .Enqueue({Int32s({1, 16}, 4), Int32s({1, 16}, 9)},
                           [&](absl::StatusOr<std::vector<Tensor>> r) {
                             result = std::move(r);
                             answered.Notify();
                           })
                  .ok());
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kHang));

  absl::Notification unloaded;
  std::thread unloader([&] {
    EXPECT_TRUE(repository->Unload("m").ok());
    unloaded.Notify();
  });
  // While the version drains it is UNLOADING and Get refuses it.
  while (repository->Get("m", "").ok()) std::this_thread::yield();
  absl::StatusOr<ModelHandle> during = repository->Get("m", "");
  EXPECT_EQ(during.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(during.status().message()), HasSubstr("UNLOADING"));
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:UNLOADING"));
  // Work offered through a handle held from before is refused once the
  // scheduler drains (probes accepted just before that are answered).
  while (model->scheduler().Enqueue({Int32s({1, 16}, 0), Int32s({1, 16}, 0)},
                                    [](auto) {}).ok()) {
    std::this_thread::yield();
  }
  EXPECT_FALSE(unloaded.HasBeenNotified());
  EXPECT_FALSE(answered.HasBeenNotified());

  released.store(true);
  release.Notify();
  ASSERT_TRUE(unloaded.WaitForNotificationWithTimeout(kHang));
  unloader.join();
  // The in-flight request finished, with its result, before Unload returned.
  ASSERT_TRUE(answered.HasBeenNotified());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)[0].data_as<int32_t>()[0], 4);
  EXPECT_EQ((*result)[1].data_as<int32_t>()[0], 9);
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:UNAVAILABLE"));
}

TEST_F(ModelRepositoryTest, IndexListsModelsAddedToTheFolderLater) {
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  auto repository = Open();
  repo_.AddModel("late", SimpleModelConfig("late"), {1});
  EXPECT_THAT(VersionStates(*repository, "late"), ElementsAre(":UNAVAILABLE"));
  EXPECT_EQ(ReasonOf(*repository, "late", ""), "not loaded");
  // Mode none never loaded it, so it is not a model the server knows.
  EXPECT_EQ(repository->Get("late", "").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRepositoryTest, UnloadAllReleasesEveryModel) {
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  auto repository = Open();
  ModelHandle a = *repository->Get("a", "");
  repository->UnloadAll();
  EXPECT_FALSE(repository->Get("a", "").ok());
  EXPECT_EQ(RunOnce(a).status().code(), absl::StatusCode::kUnavailable);
}

TEST(ModelStateNameTest, NamesEveryState) {
  EXPECT_EQ(ModelStateName(ModelState::kLoading), "LOADING");
  EXPECT_EQ(ModelStateName(ModelState::kReady), "READY");
  EXPECT_EQ(ModelStateName(ModelState::kUnavailable), "UNAVAILABLE");
  EXPECT_EQ(ModelStateName(ModelState::kUnloading), "UNLOADING");
}

}  // namespace
}  // namespace inferd
