// GGUF language models in the repository: a model folder with
// `backend: "gguf"`, and a GGUF file served without a folder (--model).
// Paths of the committed tiny model are relative to the source root, where
// the unit tests run.

#include <filesystem>
#include <string>

#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "repository/model_repository.h"
#include "repository/testing/repository_index.h"

namespace inferd {
namespace {

using ::inferd::testing::FakeBackend;
using ::inferd::testing::ReasonOf;
using ::inferd::testing::TempModelRepository;
using ::inferd::testing::VersionStates;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class GgufRepositoryTest : public ::testing::Test {
 protected:
  // A registry with one backend, as the server always has; GGUF models are
  // the repository's own.
  GgufRepositoryTest() { backends_.Register({"fake"}, std::make_shared<FakeBackend>()); }

  std::unique_ptr<ModelRepository> Open(ModelControlMode mode = ModelControlMode::kNone,
                                        std::vector<std::string> startup = {}) {
    absl::StatusOr<std::unique_ptr<ModelRepository>> repository = ModelRepository::Create(
        ModelRepository::Options{repo_.root(), mode, std::move(startup), &backends_});
    EXPECT_TRUE(repository.ok()) << repository.status();
    if (!repository.ok()) return nullptr;
    (*repository)->LoadStartupModels();
    return *std::move(repository);
  }

  TempModelRepository repo_;
  BackendRegistry backends_;
};

// A GGUF language model: copies the committed tiny model into `name`/1.
void AddGgufModel(TempModelRepository& repo, const std::string& name, const std::string& config) {
  repo.WriteFile(name + "/config.pbtxt", config);
  repo.MakeDir(name + "/1");
  std::filesystem::copy_file("tests/data/llm/tiny-llama-f32.gguf",
                             repo.root() + "/" + name + "/1/model.gguf");
}

TEST_F(GgufRepositoryTest, GgufModelLoadsWithAGenerationLoopAndUnloads) {
  AddGgufModel(repo_, "llm",
               "backend: \"gguf\"\nparameters { key: \"context_length\" value { "
               "string_value: \"64\" } }\nparameters { key: \"threads\" value { "
               "string_value: \"1\" } }\n");
  auto repository = Open(ModelControlMode::kExplicit, {"llm"});
  EXPECT_THAT(VersionStates(*repository, "llm"), ElementsAre("1:READY"));
  absl::StatusOr<ModelHandle> model = repository->Get("llm", "");
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_NE((*model)->generator(), nullptr);
  EXPECT_EQ((*model)->generator()->engine_options().max_context, 64);
  EXPECT_EQ((*model)->config().input(0).name(), "text_input");
  ASSERT_TRUE(repository->Unload("llm").ok());
  EXPECT_FALSE(repository->Get("llm", "").ok());
  // The handle outlives the unload, but its loop refuses new work.
  absl::StatusOr<llm::SequenceId> late =
      (*model)->generator()->Submit({.prompt = {1}}, [](const llm::StepEvent&) {});
  EXPECT_EQ(late.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(GgufRepositoryTest, GgufModelWithABadParameterIsUnavailableNamingIt) {
  AddGgufModel(repo_, "llm",
               "platform: \"gguf\"\nparameters { key: \"max_sequences\" value { "
               "string_value: \"0\" } }\n");
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "llm"), ElementsAre("1:UNAVAILABLE"));
  EXPECT_THAT(ReasonOf(*repository, "llm", "1"), HasSubstr("parameter \"max_sequences\""));
}

TEST_F(GgufRepositoryTest, GgufModelWithoutItsFileIsUnavailable) {
  repo_.WriteFile("llm/config.pbtxt", "backend: \"gguf\"\n");
  repo_.MakeDir("llm/1");
  auto repository = Open();
  EXPECT_THAT(VersionStates(*repository, "llm"), ElementsAre("1:UNAVAILABLE"));
  EXPECT_THAT(ReasonOf(*repository, "llm", "1"), HasSubstr("model.gguf is missing"));
}

TEST_F(GgufRepositoryTest, GgufModelFileServesWithoutARepositoryFolder) {
  ModelRepository::Options options{"", ModelControlMode::kExplicit, {}, &backends_};
  options.model_files["tiny"] = "tests/data/llm/tiny-llama-f32.gguf";
  options.model_files["gone"] = repo_.root() + "/missing.gguf";
  absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
      ModelRepository::Create(std::move(options));
  ASSERT_TRUE(repository.ok()) << repository.status();
  (*repository)->LoadStartupModels();
  EXPECT_THAT(VersionStates(**repository, "tiny"), ElementsAre("1:READY"));
  absl::StatusOr<ModelHandle> model = (*repository)->Get("tiny", "");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_NE((*model)->generator(), nullptr);
  EXPECT_THAT(ReasonOf(**repository, "gone", "1"), HasSubstr("missing.gguf is missing"));
  ASSERT_TRUE((*repository)->Unload("tiny").ok());
  EXPECT_FALSE((*repository)->Get("tiny", "").ok());
  ASSERT_TRUE((*repository)->Load("tiny").ok());
  EXPECT_TRUE((*repository)->Get("tiny", "").ok());
}

}  // namespace
}  // namespace inferd
