// InferenceService::PrepareGenerate / Generate on the committed tiny GGUF
// model, loaded through a real repository.

#include <filesystem>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "backend/testing/temp_model_repository.h"
#include "gtest/gtest.h"
#include "serving/inference_service.h"

namespace inferd {
namespace {

class GenerateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.WriteFile("llm/config.pbtxt",
                    "backend: \"gguf\"\n"
                    "parameters { key: \"context_length\" value { string_value: \"64\" } }\n"
                    "parameters { key: \"threads\" value { string_value: \"1\" } }\n"
                    "parameters { key: \"temperature\" value { string_value: \"0\" } }\n");
    repo_.MakeDir("llm/1");
    std::filesystem::copy_file("tests/data/llm/tiny-llama-f32.gguf",
                               repo_.root() + "/llm/1/model.gguf");
    absl::StatusOr<std::unique_ptr<ModelRepository>> repository =
        ModelRepository::Create({repo_.root(), ModelControlMode::kNone, {}, &backends_});
    ASSERT_TRUE(repository.ok()) << repository.status();
    repository_ = *std::move(repository);
    repository_->LoadStartupModels();
    service_ = std::make_unique<InferenceService>(
        InferenceService::Options{.repository = repository_.get()});
    absl::StatusOr<ModelHandle> model = service_->Model("llm", "");
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *model;
  }

  absl::Status Refusal(GenerateInput input) {
    return service_->PrepareGenerate(model_, std::move(input)).status();
  }

  // Runs `input` to the end; `deltas` gets the streamed text.
  absl::StatusOr<GenerateResult> Run(GenerateInput input, std::string* deltas,
                                     std::shared_ptr<CancelSignal> cancel = nullptr) {
    absl::StatusOr<GenerateCall> call = service_->PrepareGenerate(model_, std::move(input));
    if (!call.ok()) return call.status();
    absl::Notification done;
    absl::StatusOr<GenerateResult> out;
    service_->Generate(
        *std::move(call), cancel, [deltas](std::string_view d) { deltas->append(d); },
        [&](absl::StatusOr<GenerateResult> result) {
          out = std::move(result);
          done.Notify();
        });
    done.WaitForNotification();
    return out;
  }

  testing::TempModelRepository repo_;
  BackendRegistry backends_;
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<InferenceService> service_;
  ModelHandle model_;
};

TEST_F(GenerateTest, GreedyResultEqualsItsDeltasAndRepeats) {
  std::string deltas;
  absl::StatusOr<GenerateResult> first =
      Run({.text_input = "Once upon a time", .max_tokens = 10, .ignore_eos = true}, &deltas);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->text.empty());
  EXPECT_EQ(first->text, deltas);
  EXPECT_EQ(first->finish_reason, "length");
  EXPECT_EQ(first->generated_tokens, 10);
  EXPECT_GT(first->prompt_tokens, 1);
  std::string again;
  absl::StatusOr<GenerateResult> second =
      Run({.text_input = "Once upon a time", .max_tokens = 10, .ignore_eos = true}, &again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->text, first->text);
}

TEST_F(GenerateTest, CancelledRequestEndsCancelled) {
  auto cancel = std::make_shared<CancelSignal>();
  cancel->Cancel();
  std::string deltas;
  absl::StatusOr<GenerateResult> result =
      Run({.text_input = "Once", .max_tokens = 60, .ignore_eos = true}, &deltas, cancel);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kCancelled) << result.status();
}

TEST_F(GenerateTest, BadInputIsRefusedNamingTheField) {
  const std::pair<GenerateInput, const char*> cases[] = {
      {{.text_input = "hi", .max_tokens = 0}, "max_tokens"},
      {{.text_input = "hi", .max_tokens = 1000000000}, "max_tokens"},
      {{.text_input = "hi", .temperature = -1}, "temperature"},
      {{.text_input = "hi", .top_p = 0}, "top_p"},
      {{.text_input = "hi", .top_k = -1}, "top_k"},
      {{.text_input = "bad \xff utf-8"}, "text_input"},
      {{.text_input = std::string(2000, 'a') + " " + std::string(2000, 'z')}, "text_input"},
      {{.text_input = "hi", .stop = {""}}, "stop"},
  };
  for (const auto& [input, field] : cases) {
    absl::Status status = Refusal(input);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_NE(std::string(status.message()).find(field), std::string::npos) << status;
  }
}

TEST_F(GenerateTest, TensorInferIsRefusedForALanguageModel) {
  absl::StatusOr<InferCall> call = service_->PrepareInfer(model_, InferenceRequest{});
  EXPECT_EQ(call.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(call.status().message()).find("/generate"), std::string::npos);
}

}  // namespace
}  // namespace inferd
