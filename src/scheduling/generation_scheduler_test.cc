#include "scheduling/generation_scheduler.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

constexpr char kModelPath[] = "tests/data/llm/tiny-llama-f32.gguf";

std::shared_ptr<const llm::Model> LoadModel() {
  absl::StatusOr<std::unique_ptr<llm::Model>> model = llm::Model::Load(kModelPath);
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? std::shared_ptr<const llm::Model>(*std::move(model)) : nullptr;
}

llm::GenerationRequest Greedy(const llm::Model& model, const std::string& prompt, int max_tokens) {
  llm::GenerationRequest request;
  request.prompt = model.tokenizer().Encode(prompt, true, false);
  request.sampling.temperature = 0;
  request.max_tokens = max_tokens;
  request.ignore_eos = true;
  return request;
}

// What one sequence produced, collected on the scheduler's thread.
struct Collected {
  absl::Mutex mu;
  std::string text;
  llm::FinishReason finish = llm::FinishReason::kNone;
  absl::Notification done;

  GenerationScheduler::EventCallback Callback() {
    return [this](const llm::StepEvent& event) {
      {
        absl::MutexLock lock(&mu);
        text += event.text;
        finish = event.finish;
      }
      if (event.finish != llm::FinishReason::kNone) done.Notify();
    };
  }
};

// The text of `prompt` from an engine stepped by hand: the reference.
std::string Solo(std::shared_ptr<const llm::Model> model, const std::string& prompt,
                 int max_tokens) {
  auto engine = llm::Engine::Create(model, {.threads = 1, .max_sequences = 1});
  EXPECT_TRUE(engine.ok());
  EXPECT_TRUE((*engine)->Add(Greedy(*model, prompt, max_tokens)).ok());
  std::string text;
  std::vector<llm::StepEvent> events;
  while ((*engine)->active_sequences() > 0) {
    EXPECT_TRUE((*engine)->Step(&events).ok());
    for (const auto& e : events) text += e.text;
  }
  return text;
}

TEST(GenerationSchedulerTest, ConcurrentSequencesEachMatchTheirSoloText) {
  std::shared_ptr<const llm::Model> model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto scheduler = GenerationScheduler::Create(model, {.name = "tiny:1",
                                                       .engine = {.threads = 1}});
  ASSERT_TRUE(scheduler.ok()) << scheduler.status();
  const std::vector<std::string> prompts = {"Once upon a time", "The cat", "Hello world, said",
                                            "A"};
  std::vector<std::unique_ptr<Collected>> results;
  for (const std::string& prompt : prompts) {
    results.push_back(std::make_unique<Collected>());
    ASSERT_TRUE(
        (*scheduler)->Submit(Greedy(*model, prompt, 12), results.back()->Callback()).ok());
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    results[i]->done.WaitForNotification();
    absl::MutexLock lock(&results[i]->mu);
    EXPECT_EQ(results[i]->finish, llm::FinishReason::kLength);
    EXPECT_FALSE(results[i]->text.empty());
    EXPECT_EQ(results[i]->text, Solo(model, prompts[i], 12)) << prompts[i];
  }
  EXPECT_EQ((*scheduler)->active(), 0);
}

TEST(GenerationSchedulerTest, CancelEndsTheSequenceAsCancelled) {
  std::shared_ptr<const llm::Model> model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto scheduler = GenerationScheduler::Create(model, {.engine = {.threads = 1}});
  ASSERT_TRUE(scheduler.ok());
  Collected result;
  absl::StatusOr<llm::SequenceId> id =
      (*scheduler)->Submit(Greedy(*model, "Once upon a time", 100000), result.Callback());
  // max_tokens far past the context: the engine refuses or clamps; either
  // way, a cancel must end it early.
  if (!id.ok()) {
    id = (*scheduler)->Submit(Greedy(*model, "Once upon a time", 1000), result.Callback());
  }
  ASSERT_TRUE(id.ok()) << id.status();
  (*scheduler)->Cancel(*id);
  result.done.WaitForNotification();
  absl::MutexLock lock(&result.mu);
  EXPECT_EQ(result.finish, llm::FinishReason::kCancelled);
}

TEST(GenerationSchedulerTest, DrainFinishesActiveSequencesThenRefusesNewOnes) {
  std::shared_ptr<const llm::Model> model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto scheduler = GenerationScheduler::Create(model, {.engine = {.threads = 1}});
  ASSERT_TRUE(scheduler.ok());
  Collected result;
  ASSERT_TRUE((*scheduler)->Submit(Greedy(*model, "The cat", 8), result.Callback()).ok());
  (*scheduler)->Drain();
  EXPECT_TRUE(result.done.HasBeenNotified());
  EXPECT_EQ(result.finish, llm::FinishReason::kLength);
  absl::StatusOr<llm::SequenceId> late =
      (*scheduler)->Submit(Greedy(*model, "The cat", 8), [](const llm::StepEvent&) {});
  EXPECT_TRUE(absl::IsUnavailable(late.status())) << late.status();
}

TEST(GenerationSchedulerTest, RefusedRequestNamesTheField) {
  std::shared_ptr<const llm::Model> model = LoadModel();
  ASSERT_NE(model, nullptr);
  auto scheduler = GenerationScheduler::Create(model, {.engine = {.threads = 1}});
  ASSERT_TRUE(scheduler.ok());
  llm::GenerationRequest request = Greedy(*model, "x", 0);
  absl::StatusOr<llm::SequenceId> id =
      (*scheduler)->Submit(std::move(request), [](const llm::StepEvent&) {});
  EXPECT_TRUE(absl::IsInvalidArgument(id.status()));
  EXPECT_NE(std::string(id.status().message()).find("max_tokens"), std::string::npos)
      << id.status();
}

}  // namespace
}  // namespace inferd
