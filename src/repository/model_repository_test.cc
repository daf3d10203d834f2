#include "repository/model_repository.h"

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/synchronization/notification.h"
#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "repository/testing/repository_index.h"

namespace inferd {
namespace {

using ::inferd::testing::FakeBackend;
using ::inferd::testing::FakeModelInstance;
using ::inferd::testing::ReasonOf;
using ::inferd::testing::SimpleModelConfig;
using ::inferd::testing::TempModelRepository;
using ::inferd::testing::VersionStates;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
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

class ModelRepositoryTest : public ::testing::Test {
 protected:
  ModelRepositoryTest() { backends_.Register({"fake"}, backend_); }

  std::unique_ptr<ModelRepository> Open(
      ModelControlMode mode = ModelControlMode::kNone,
      std::vector<std::string> startup = {}, bool allow_symlinks_outside = false) {
    ModelRepository::Options options{repo_.root(), mode, std::move(startup), &backends_};
    options.allow_symlinks_outside_repository = allow_symlinks_outside;
    absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
        ModelRepository::Create(std::move(options));
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
              HasSubstr("has no available versions: UNAVAILABLE ("));
  absl::StatusOr<ModelHandle> v1 = repository->Get("corrupt", "1");
  EXPECT_EQ(v1.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(v1.status().message()),
              HasSubstr("version 1 is not at ready state: it is UNAVAILABLE: "));
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
  EXPECT_EQ(v1.status().message(), "Request for unknown model: 'm' version 1 is not found");
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
  EXPECT_EQ(unknown.status().message(), "Request for unknown model: 'nope' is not found");
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
  EXPECT_EQ(b.status().message(), "Request for unknown model: 'b' has no available versions (the model is not loaded)");
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

TEST_F(ModelRepositoryTest, LoadAndUnloadOfUnknownModelsAreNotFoundAndRecordNothing) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  EXPECT_EQ(repository->Load("nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(repository->Unload("nope").code(), absl::StatusCode::kNotFound);
  std::vector<ModelStatus> index = repository->Index();
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].name, "m");
  EXPECT_TRUE(repository->AllReady());
}

TEST_F(ModelRepositoryTest, InvalidModelNamesAreRefusedBeforeTheyReachTheFolder) {
  repo_.AddModel("simple", SimpleModelConfig("simple"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"simple"});
  // The C file API cuts "simple\0x1" at the NUL and finds simple/.
  const std::string with_nul("simple\0x1", 9);
  const std::vector<std::string> invalid = {
      with_nul, "", ".", "..", "../simple", "a/b", "a\\b", ".hidden", "line\nbreak",
      std::string(256, 'x')};
  for (const std::string& name : invalid) {
    SCOPED_TRACE(absl::CEscape(name));
    for (const absl::Status& status :
         {repository->Load(name), repository->Unload(name), repository->Get(name, "").status()}) {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      EXPECT_THAT(std::string(status.message()), HasSubstr("model name"));
    }
  }
  absl::Status nul = repository->Load(with_nul);
  EXPECT_EQ(nul.message(),
            "model name \"simple\\000x1\" must not contain NUL or other control characters");
  // Nothing was recorded: the index and readiness are as before.
  std::vector<ModelStatus> index = repository->Index();
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].name, "simple");
  EXPECT_THAT(VersionStates(*repository, "simple"), ElementsAre("1:READY"));
  EXPECT_TRUE(repository->AllReady());
  // The longest valid name still works as a (missing) name.
  EXPECT_EQ(repository->Load(std::string(255, 'x')).code(), absl::StatusCode::kNotFound);
}

TEST_F(ModelRepositoryTest, CreateRefusesAnInvalidStartupModelName) {
  absl::StatusOr<std::unique_ptr<ModelRepository>> created = ModelRepository::Create(
      {repo_.root(), ModelControlMode::kExplicit, {"../etc"}, &backends_});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(created.status().message()), HasSubstr("model name \"../etc\""));
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
  absl::Notification loaded;
  std::thread loader([&] {
    EXPECT_TRUE(repository->Load("m").ok());
    loaded.Notify();
  });
  // Version 2 serves as soon as it is READY ...
  while (VersionStates(*repository, "m") != std::vector<std::string>{"2:READY"}) {
    std::this_thread::yield();
  }
  EXPECT_EQ((*repository->Get("m", ""))->version(), 2);
  // ... while a request that took version 1 before the swap still runs on it:
  // the retired version waits for the handles held to it.
  EXPECT_TRUE(RunOnce(*v1).ok());
  EXPECT_FALSE(loaded.HasBeenNotified());
  ModelHandle kept = *v1;
  v1 = absl::UnavailableError("released");
  kept.reset();
  ASSERT_TRUE(loaded.WaitForNotificationWithTimeout(kHang));
  loader.join();
  EXPECT_EQ(repository->Get("m", "1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(RunOnce(*repository->Get("m", "")).ok());
}

TEST_F(ModelRepositoryTest, RetiredVersionHeldPastTheRetireWaitIsDrainedAnyway) {
  FakeClock clock;
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  ModelRepository::Options options{repo_.root(), ModelControlMode::kExplicit, {"m"}, &backends_};
  options.clock = &clock;
  options.retire_wait = absl::Seconds(5);
  std::unique_ptr<ModelRepository> repository = *ModelRepository::Create(std::move(options));
  repository->LoadStartupModels();
  ModelHandle held = *repository->Get("m", "");
  repo_.WriteFile("m/2/model.fake", "ok");
  absl::Notification loaded;
  std::thread loader([&] {
    EXPECT_TRUE(repository->Load("m").ok());
    loaded.Notify();
  });
  while (!loaded.HasBeenNotified()) {
    clock.Advance(absl::Seconds(1));
    std::this_thread::yield();
  }
  loader.join();
  // The holder never let go: the old version was drained and refuses work.
  EXPECT_EQ(RunOnce(held).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*repository->Get("m", ""))->version(), 2);
}

TEST_F(ModelRepositoryTest, NewVersionThatFailsLeavesTheOldOneServing) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  repo_.WriteFile("m/2/model.fake", "corrupt");
  EXPECT_FALSE(repository->Load("m").ok());
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY", "2:UNAVAILABLE"));
  EXPECT_EQ((*repository->Get("m", ""))->version(), 1);
  EXPECT_THAT(ReasonOf(*repository, "m", "1"),
              AllOf(StartsWith("reload failed, still serving the version loaded before: "),
                    HasSubstr("version 2: "), HasSubstr("m/2/model.fake is corrupt")));
  EXPECT_THAT(ReasonOf(*repository, "m", "2"), HasSubstr("is corrupt"));
  EXPECT_TRUE(repository->AllReady());  // the model still serves
  // A good version 3 retires both.
  repo_.WriteFile("m/3/model.fake", "ok");
  ASSERT_TRUE(repository->Load("m").ok());
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("3:READY"));
}

TEST_F(ModelRepositoryTest, FailedReloadOfAVersionKeepsTheOldOneServingAndSaysWhy) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  repo_.WriteFile("m/1/model.fake", "corrupt now");
  EXPECT_FALSE(repository->Load("m").ok());
  absl::StatusOr<ModelHandle> still = repository->Get("m", "1");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_TRUE(RunOnce(*still).ok());
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY"));
  EXPECT_THAT(ReasonOf(*repository, "m", "1"),
              AllOf(StartsWith("reload failed, still serving the version loaded before: "),
                    HasSubstr("m/1/model.fake is corrupt")));
  // The model file deleted: the next failed reload says so.
  repo_.Remove("m/1/model.fake");
  EXPECT_FALSE(repository->Load("m").ok());
  EXPECT_THAT(ReasonOf(*repository, "m", "1"), HasSubstr("m/1/model.fake is missing"));
  EXPECT_TRUE(repository->AllReady());  // it still serves
  // A reload that works clears the reason (and retires the version held).
  still = absl::UnavailableError("released");
  repo_.WriteFile("m/1/model.fake", "ok");
  ASSERT_TRUE(repository->Load("m").ok());
  EXPECT_EQ(ReasonOf(*repository, "m", "1"), "");
}

TEST_F(ModelRepositoryTest, ReloadWithABrokenConfigKeepsTheOldVersionsServingAndSaysWhy) {
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  repo_.WriteFile("m/config.pbtxt", "name: \"m\"\ninput [ {\n");
  EXPECT_FALSE(repository->Load("m").ok());
  absl::StatusOr<ModelHandle> still = repository->Get("m", "");
  ASSERT_TRUE(still.ok()) << still.status();
  EXPECT_TRUE(RunOnce(*still).ok());
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY"));
  EXPECT_THAT(ReasonOf(*repository, "m", "1"),
              StartsWith("reload failed, still serving the version loaded before: "
                         "config.pbtxt: line 3"));
  repo_.Remove("m/config.pbtxt");
  EXPECT_FALSE(repository->Load("m").ok());
  EXPECT_THAT(ReasonOf(*repository, "m", "1"), HasSubstr("config.pbtxt not found"));
}

// The server queues the startup set before it listens and loads it on
// another thread: between the two, every startup model is still loading,
// none unknown, and nothing is loaded yet.
TEST_F(ModelRepositoryTest, QueuedStartupModelsAreStillLoadingBeforeTheLoadStarts) {
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  repo_.AddModel("b", SimpleModelConfig("b"), {1});
  absl::StatusOr<std::unique_ptr<ModelRepository>> created =
      ModelRepository::Create({repo_.root(), ModelControlMode::kNone, {}, &backends_});
  ASSERT_TRUE(created.ok());
  std::unique_ptr<ModelRepository> repository = *std::move(created);
  EXPECT_EQ(repository->Get("a", "").status().code(), absl::StatusCode::kNotFound);
  repository->QueueStartupModels();
  for (const std::string name : {"a", "b"}) {
    absl::StatusOr<ModelHandle> model = repository->Get(name, "");
    EXPECT_EQ(model.status().code(), absl::StatusCode::kUnavailable) << model.status();
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("is still loading"));
  }
  EXPECT_FALSE(repository->AllReady());
  repository->LoadStartupModels();
  EXPECT_TRUE(repository->Get("a", "").ok());
  EXPECT_TRUE(repository->Get("b", "").ok());
  EXPECT_TRUE(repository->AllReady());
}

TEST_F(ModelRepositoryTest, ModelsWaitingForTheirLoadAreStillLoadingNotUnknown) {
  // Mode none loads "a" then "b"; a's load is held at the gate.
  absl::Notification started, release;
  backend_->HoldLoadsOf("/a/1", &started, &release);
  repo_.AddModel("a", SimpleModelConfig("a"), {1});
  repo_.AddModel("b", SimpleModelConfig("b"), {1});
  absl::StatusOr<std::unique_ptr<ModelRepository>> created =
      ModelRepository::Create({repo_.root(), ModelControlMode::kNone, {}, &backends_});
  ASSERT_TRUE(created.ok());
  std::unique_ptr<ModelRepository> repository = *std::move(created);
  std::thread loader([&] { repository->LoadStartupModels(); });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kHang));

  for (const auto& [name, version] : std::vector<std::pair<std::string, std::string>>{
           {"a", ""}, {"a", "1"}, {"b", ""}, {"b", "1"}}) {
    SCOPED_TRACE(name + ":" + version);
    absl::StatusOr<ModelHandle> model = repository->Get(name, version);
    EXPECT_EQ(model.status().code(), absl::StatusCode::kUnavailable) << model.status();
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("is still loading"));
  }
  EXPECT_EQ(repository->Get("a", "").status().message(), "model \"a\" is still loading");
  EXPECT_EQ(repository->Get("a", "1").status().message(),
            "model \"a\" version 1 is still loading");
  EXPECT_EQ(repository->Get("nope", "").status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(VersionStates(*repository, "a"), ElementsAre("1:LOADING"));
  EXPECT_THAT(VersionStates(*repository, "b"), ElementsAre(":LOADING"));
  EXPECT_FALSE(repository->AllReady());

  release.Notify();
  loader.join();
  EXPECT_TRUE(repository->Get("a", "").ok());
  EXPECT_TRUE(repository->Get("b", "").ok());
  EXPECT_TRUE(repository->AllReady());
}

TEST_F(ModelRepositoryTest, ExplicitLoadInProgressIsStillLoading) {
  absl::Notification started, release;
  backend_->HoldLoadsOf("/m/1", &started, &release);
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  auto repository = Open(ModelControlMode::kExplicit);
  std::thread loader([&] { EXPECT_TRUE(repository->Load("m").ok()); });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kHang));
  EXPECT_EQ(repository->Get("m", "").status().message(), "model \"m\" is still loading");
  EXPECT_EQ(repository->Get("m", "2").status().message(),
            "model \"m\" version 2 is still loading");
  release.Notify();
  loader.join();
  EXPECT_TRUE(repository->Get("m", "").ok());
  EXPECT_EQ(repository->Get("m", "2").status().code(), absl::StatusCode::kNotFound);
}

// A folder outside the repository, removed with the test.
class OutsideFolder {
 public:
  OutsideFolder() : root_(std::make_unique<TempModelRepository>()) {}
  TempModelRepository& operator*() { return *root_; }
  TempModelRepository* operator->() { return root_.get(); }

 private:
  std::unique_ptr<TempModelRepository> root_;
};

void Link(const std::string& target, const std::string& link) {
  std::filesystem::create_directories(std::filesystem::path(link).parent_path());
  std::filesystem::create_symlink(target, link);
}

TEST_F(ModelRepositoryTest, ModelFolderLinkedOutsideTheRepositoryIsUnavailable) {
  OutsideFolder outside;
  outside->AddModel("m", SimpleModelConfig("m"), {1});
  Link(outside->root() + "/m", repo_.root() + "/m");
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre(":UNAVAILABLE"));
  EXPECT_EQ(ReasonOf(*repository, "m", ""),
            StrCat("\"m\" is a symbolic link to \"",
                   std::filesystem::canonical(outside->root() + "/m").string(),
                   "\", outside the model repository (start the server with "
                   "--allow-symlinks-outside-repository to follow it)"));
  EXPECT_TRUE(backend_->loads().empty());

  auto allowed = Open(ModelControlMode::kNone, {}, /*allow_symlinks_outside=*/true);
  EXPECT_THAT(VersionStates(*allowed, "m"), ElementsAre("1:READY"));
}

TEST_F(ModelRepositoryTest, ConfigLinkedOutsideIsRefusedWithoutReadingIt) {
  OutsideFolder outside;
  outside->WriteFile("passwd", "hunter2:x:0:0:secret\n");
  Link(outside->root() + "/passwd", repo_.root() + "/m/config.pbtxt");
  repo_.WriteFile("m/1/model.fake", "ok");
  auto repository = Open();
  const std::string reason = ReasonOf(*repository, "m", "");
  EXPECT_THAT(reason, StartsWith("\"m/config.pbtxt\" is a symbolic link to \""));
  EXPECT_THAT(reason, HasSubstr("outside the model repository"));
  EXPECT_THAT(reason, Not(HasSubstr("hunter2")));
  EXPECT_THAT(std::string(repository->Get("m", "").status().message()),
              Not(HasSubstr("hunter2")));
}

TEST_F(ModelRepositoryTest, LinkDeepInAVersionFolderLeadingOutsideIsRefused) {
  OutsideFolder outside;
  outside->WriteFile("weights/model.fake", "ok");
  repo_.WriteFile("m/config.pbtxt", SimpleModelConfig("m"));
  // m/1 -> store/m1 (inside), whose model.fake -> outside.
  Link(repo_.root() + "/store/m1", repo_.root() + "/m/1");
  Link(outside->root() + "/weights/model.fake", repo_.root() + "/store/m1/model.fake");
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  EXPECT_THAT(ReasonOf(*repository, "m", ""),
              StartsWith("\"m/1/model.fake\" is a symbolic link to \""));
  EXPECT_FALSE(repository->Get("m", "").ok());
}

TEST_F(ModelRepositoryTest, DanglingLinkLeadingOutsideIsRefused) {
  OutsideFolder outside;
  repo_.AddModel("m", SimpleModelConfig("m"), {1});
  Link(outside->root() + "/not/yet/there", repo_.root() + "/m/labels.txt");
  auto repository = Open();
  EXPECT_THAT(ReasonOf(*repository, "m", ""),
              StartsWith("\"m/labels.txt\" is a symbolic link to \""));
}

TEST_F(ModelRepositoryTest, LinksThatStayInsideTheRepositoryAreFollowed) {
  repo_.WriteFile("configs/m.pbtxt", SimpleModelConfig("m"));
  repo_.WriteFile("store/m1/model.fake", "ok");
  Link("../configs/m.pbtxt", repo_.root() + "/m/config.pbtxt");
  Link(repo_.root() + "/store/m1", repo_.root() + "/m/1");
  Link("../m", repo_.root() + "/m/loop");  // a link loop is walked once
  auto repository = Open(ModelControlMode::kExplicit, {"m"});
  EXPECT_THAT(VersionStates(*repository, "m"), ElementsAre("1:READY"));
  EXPECT_TRUE(RunOnce(*repository->Get("m", "")).ok());
}

TEST_F(ModelRepositoryTest, ConfigThatIsNotARegularFileIsRefusedWithoutReadingIt) {
  repo_.WriteFile("dev/1/model.fake", "ok");
  Link("/dev/null", repo_.root() + "/dev/config.pbtxt");
  repo_.WriteFile("folder/1/model.fake", "ok");
  repo_.MakeDir("folder/config.pbtxt");
  auto repository = Open(ModelControlMode::kNone, {}, /*allow_symlinks_outside=*/true);
  EXPECT_EQ(ReasonOf(*repository, "dev", ""), "config.pbtxt is not a regular file");
  EXPECT_EQ(ReasonOf(*repository, "folder", ""), "config.pbtxt is not a regular file");
}

TEST_F(ModelRepositoryTest, WarmupDataFileMustStayInTheWarmupFolder) {
  repo_.WriteFile("secret", std::string(64, 's'));
  repo_.AddModel("m", SimpleModelConfig("m", R"pb(
model_warmup [ {
  name: "escape"
  batch_size: 1
  inputs { key: "INPUT0" value { data_type: TYPE_INT32 dims: [ 16 ]
                                 input_data_file: "../../secret" } }
  inputs { key: "INPUT1" value { data_type: TYPE_INT32 dims: [ 16 ] zero_data: true } }
} ]
)pb"), {1});
  auto repository = Open();
  EXPECT_THAT(ReasonOf(*repository, "m", "1"),
              HasSubstr("model_warmup \"escape\": input_data_file \"../../secret\" must be "
                        "a file name inside the model's warmup/ folder"));
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
