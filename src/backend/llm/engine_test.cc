#include "backend/llm/engine.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "backend/llm/testing/engine_requests.h"
#include "backend/llm/testing/golden.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

using testing::Greedy;
using testing::LoadModel;

struct Outcome {
  std::vector<int32_t> tokens;
  std::string text;
  FinishReason finish = FinishReason::kNone;
  SequenceTimings timings;
};

std::map<SequenceId, Outcome> RunToEnd(Engine& engine, int max_steps = 500) {
  std::map<SequenceId, Outcome> out;
  std::vector<StepEvent> events;
  for (int step = 0; step < max_steps && engine.active_sequences() > 0;
       ++step) {
    EXPECT_TRUE(engine.Step(&events).ok());
    for (const StepEvent& e : events) {
      Outcome& o = out[e.id];
      if (e.token >= 0) o.tokens.push_back(e.token);
      o.text += e.text;
      if (e.finish != FinishReason::kNone) {
        o.finish = e.finish;
        o.timings = e.timings;
      }
    }
  }
  return out;
}

TEST(EngineTest, GreedyGenerationMatchesReference) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  const auto goldens =
      testing_util::ReadGoldens("tests/data/llm/tiny-llama-f32.gguf.golden");
  ASSERT_FALSE(goldens.empty());
  auto engine = *Engine::Create(model, {.threads = 2, .max_batch_tokens = 4});
  const SequenceId id = *engine->Add(Greedy(goldens[0].prompt, 16));
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[id].tokens, goldens[0].greedy);
  EXPECT_EQ(out[id].finish, FinishReason::kLength);
  EXPECT_EQ(out[id].text, model->tokenizer().Decode(goldens[0].greedy));
  EXPECT_EQ(out[id].timings.prompt_tokens,
            static_cast<int64_t>(goldens[0].prompt.size()));
  EXPECT_EQ(out[id].timings.generated_tokens, 16);
}

TEST(EngineTest, ConcurrentSequencesMatchSoloRuns) {
  auto model = LoadModel("tiny-qwen2-f16.gguf");
  ASSERT_NE(model, nullptr);
  const text::GgufTokenizer& tok = model->tokenizer();
  const std::vector<std::string> prompts = {
      "Hello there", "A long time ago in a galaxy", "Why?"};
  std::vector<std::vector<int32_t>> solo;
  for (const std::string& p : prompts) {
    auto engine = *Engine::Create(model, {.threads = 2});
    const SequenceId id = *engine->Add(Greedy(tok.Encode(p, true, false), 12));
    solo.push_back(RunToEnd(*engine)[id].tokens);
  }
  // Small batch budget forces prompt chunks and decodes to mix in steps.
  auto engine = *Engine::Create(model, {.threads = 2, .max_batch_tokens = 5});
  std::vector<SequenceId> ids;
  for (const std::string& p : prompts) {
    ids.push_back(*engine->Add(Greedy(tok.Encode(p, true, false), 12)));
  }
  auto out = RunToEnd(*engine);
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(out[ids[i]].tokens, solo[i]) << prompts[i];
  }
}

TEST(EngineTest, CancelEndsSequenceAtNextStep) {
  auto model = LoadModel("tiny-llama-q8_0.gguf");
  ASSERT_NE(model, nullptr);
  auto engine = *Engine::Create(model, {.threads = 1});
  const SequenceId keep = *engine->Add(Greedy({1, 100, 200}, 8));
  const SequenceId drop = *engine->Add(Greedy({1, 300}, 100));
  std::vector<StepEvent> events;
  ASSERT_TRUE(engine->Step(&events).ok());
  engine->Cancel(drop);
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[drop].finish, FinishReason::kCancelled);
  EXPECT_TRUE(out[drop].tokens.empty());  // nothing after the cancel
  EXPECT_EQ(out[keep].finish, FinishReason::kLength);
  EXPECT_EQ(engine->active_sequences(), 0);
}

TEST(EngineTest, StopStringEndsAndIsNotEmitted) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  const auto goldens =
      testing_util::ReadGoldens("tests/data/llm/tiny-llama-f32.gguf.golden");
  const std::string full = model->tokenizer().Decode(goldens[0].greedy);
  ASSERT_GT(full.size(), 6u);
  // Stop at a piece from the middle of the known greedy text.
  const std::string stop = full.substr(full.size() / 2, 3);
  GenerationRequest r = Greedy(goldens[0].prompt, 16);
  r.stop = {stop};
  auto engine = *Engine::Create(model, {.threads = 2});
  const SequenceId id = *engine->Add(r);
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[id].finish, FinishReason::kStop);
  EXPECT_EQ(out[id].text, full.substr(0, full.find(stop)));
}

TEST(EngineTest, RejectsBadRequestsNamingTheField) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto engine = *Engine::Create(model, {.threads = 1});
  EXPECT_NE(engine->Add(Greedy({}, 4)).status().message().find("prompt"),
            std::string::npos);
  EXPECT_NE(engine->Add(Greedy({99999}, 4)).status().message().find("token id"),
            std::string::npos);
  EXPECT_NE(engine->Add(Greedy({1}, 0)).status().message().find("max_tokens"),
            std::string::npos);
  GenerationRequest r = Greedy({1}, 4);
  r.sampling.top_p = 2;
  EXPECT_NE(engine->Add(r).status().message().find("top_p"), std::string::npos);
}

TEST(EngineTest, ARequestLargerThanTheWholeCacheIsRefusedNamingMaxTokens) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto engine = *Engine::Create(
      model, {.threads = 1, .kv_cache_tokens = 32, .kv_block_tokens = 16});
  absl::StatusOr<SequenceId> id = engine->Add(Greedy({1, 5, 6, 7}, 100));
  EXPECT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(id.status().message()).find("max_tokens"), std::string::npos);
  EXPECT_TRUE(engine->Add(Greedy({1, 5, 6, 7}, 28)).ok());  // 32 tokens fit
}

// Three sequences whose budgets (prompt + max_tokens) fit two at a time: the
// third waits for blocks, then runs; none is cut short and each matches its
// solo run.
TEST(EngineTest, ASequenceWaitsForKvBlocksInsteadOfBeingCutShort) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  const Engine::Options options{.threads = 1, .kv_cache_tokens = 64, .kv_block_tokens = 16};
  std::vector<std::vector<int32_t>> prompts = {{1, 5, 6, 7}, {1, 8, 9, 10}, {1, 11, 12, 13}};
  std::vector<std::vector<int32_t>> solo;
  for (const auto& p : prompts) {
    auto engine = *Engine::Create(model, options);
    const SequenceId id = *engine->Add(Greedy(p, 28));
    solo.push_back(RunToEnd(*engine)[id].tokens);
  }
  auto engine = *Engine::Create(model, options);
  std::vector<SequenceId> ids;
  for (const auto& p : prompts) ids.push_back(*engine->Add(Greedy(p, 28)));
  std::vector<StepEvent> events;
  ASSERT_TRUE(engine->Step(&events).ok());
  EXPECT_EQ(engine->stats().running, 2);
  EXPECT_EQ(engine->stats().waiting, 1);
  EXPECT_EQ(engine->stats().kv_used_bytes, engine->stats().kv_capacity_bytes);
  std::map<SequenceId, std::vector<int32_t>> tokens;
  for (const StepEvent& e : events) {
    if (e.token >= 0) tokens[e.id].push_back(e.token);
  }
  auto out = RunToEnd(*engine);
  for (size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(out[ids[i]].finish, FinishReason::kLength) << i;
    tokens[ids[i]].insert(tokens[ids[i]].end(), out[ids[i]].tokens.begin(),
                          out[ids[i]].tokens.end());
    EXPECT_EQ(tokens[ids[i]], solo[i]) << i;
  }
  EXPECT_EQ(engine->stats().kv_used_bytes, 0);
}

// The KV byte figures (metrics, /health) are those of the cache's type:
// tiny-llama has 2 layers x 32 KV values (2 heads of 16) per position.
TEST(EngineTest, KvBytesFollowTheCacheType) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  for (auto [type, per_token] :
       {std::pair{GgmlType::kF32, 2 * 2 * 32 * 4},
        std::pair{GgmlType::kF16, 2 * 2 * 32 * 2}}) {
    auto engine = *Engine::Create(model, {.threads = 1,
                                          .kv_cache_tokens = 64,
                                          .kv_block_tokens = 16,
                                          .kv_type = type});
    EXPECT_EQ(engine->stats().kv_capacity_bytes, 64 * per_token);
    const SequenceId id = *engine->Add(Greedy({1, 5, 6, 7}, 12));  // 1 block
    std::vector<StepEvent> events;
    ASSERT_TRUE(engine->Step(&events).ok());
    EXPECT_EQ(engine->stats().kv_used_bytes, 16 * per_token);
    RunToEnd(*engine);
    (void)id;
  }
}

// Q8_0 blocks of 32 cannot split tiny-llama's 16-value heads.
TEST(EngineTest, Q8_0KvCacheNeedsHeadsOfWholeBlocks) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto engine = Engine::Create(model, {.threads = 1, .kv_type = GgmlType::kQ8_0});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(engine.status().message()).find("kv_cache_type q8_0"),
            std::string::npos)
      << engine.status();
}

TEST(EngineTest, SeededSamplingIsReproducible) {
  auto model = LoadModel("tiny-qwen2-q4_0.gguf");
  ASSERT_NE(model, nullptr);
  std::vector<std::vector<int32_t>> runs;
  for (int k = 0; k < 2; ++k) {
    auto engine = *Engine::Create(model, {.threads = 2});
    GenerationRequest r;
    r.prompt = model->tokenizer().Encode("Once upon", false, false);
    r.sampling.temperature = 1.0f;
    r.sampling.seed = 7;
    r.max_tokens = 20;
    r.ignore_eos = true;
    const SequenceId id = *engine->Add(r);
    runs.push_back(RunToEnd(*engine)[id].tokens);
  }
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_EQ(runs[0].size(), 20u);
}

namespace inferd::llm {
namespace {

// A prompt that needs more blocks than the pool has is refused when it is
// added; one queued after it runs.
TEST(EngineTest, PromptsStarvingForKvBlocksDoNotDeadlock) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto engine = *Engine::Create(model, {.threads = 1,
                                        .max_batch_tokens = 64,
                                        .kv_cache_tokens = 64,
                                        .kv_block_tokens = 16});
  std::vector<int32_t> big(70, 300), small(10, 301);
  big[0] = small[0] = 1;
  EXPECT_FALSE(engine->Add(Greedy(big, 2)).ok());
  const SequenceId b = *engine->Add(Greedy(small, 2));
  auto out = RunToEnd(*engine, 100);
  EXPECT_EQ(engine->active_sequences(), 0);
  EXPECT_EQ(out[b].finish, FinishReason::kLength);
  EXPECT_EQ(out[b].tokens.size(), 2u);
}

}  // namespace
}  // namespace inferd::llm

// The step at which each sequence produced its first token.
std::map<SequenceId, int> FirstTokenSteps(Engine& engine, int max_steps = 500) {
  std::map<SequenceId, int> first;
  std::vector<StepEvent> events;
  for (int step = 0; step < max_steps && engine.active_sequences() > 0; ++step) {
    EXPECT_TRUE(engine.Step(&events).ok());
    for (const StepEvent& e : events) {
      if (e.token >= 0) first.emplace(e.id, step);
    }
  }
  return first;
}

TEST(EngineTest, WaitingSequencesAreAdmittedByPriorityThenArrival) {
  auto model = LoadModel("tiny-llama-q8_0.gguf");
  ASSERT_NE(model, nullptr);
  auto engine = *Engine::Create(model, {.threads = 1, .max_sequences = 1});
  GenerationRequest low = Greedy({1, 100}, 3);
  low.priority = 2;
  GenerationRequest urgent = Greedy({1, 200}, 3);
  urgent.priority = 1;
  const SequenceId first_low = *engine->Add(low);
  const SequenceId second_low = *engine->Add(low);
  const SequenceId high = *engine->Add(urgent);
  std::map<SequenceId, int> first = FirstTokenSteps(*engine);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_LT(first[high], first[first_low]);
  EXPECT_LT(first[first_low], first[second_low]);
}

TEST(EngineTest, ASequencePastItsDeadlineEndsWithTimeoutRunningOrWaiting) {
  auto model = LoadModel("tiny-llama-q8_0.gguf");
  ASSERT_NE(model, nullptr);
  FakeClock clock;
  auto engine = *Engine::Create(model, {.threads = 1, .max_sequences = 1, .clock = &clock});
  GenerationRequest running = Greedy({1, 100}, 50);
  running.deadline = clock.Now() + absl::Seconds(10);
  GenerationRequest waiting = Greedy({1, 200}, 5);
  waiting.deadline = clock.Now() + absl::Seconds(5);
  const SequenceId run_id = *engine->Add(running);
  const SequenceId wait_id = *engine->Add(waiting);
  const SequenceId free_id = *engine->Add(Greedy({1, 300}, 4));  // no deadline
  std::vector<StepEvent> events;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(engine->Step(&events).ok());
  clock.Advance(absl::Seconds(6));  // the waiting sequence's deadline passed
  ASSERT_TRUE(engine->Step(&events).ok());
  ASSERT_EQ(events.size(), 2u);  // the running token and the timeout
  auto timed_out = std::find_if(events.begin(), events.end(),
                                [&](const StepEvent& e) { return e.id == wait_id; });
  ASSERT_NE(timed_out, events.end());
  EXPECT_EQ(timed_out->finish, FinishReason::kTimeout);
  EXPECT_EQ(timed_out->timings.generated_tokens, 0);
  clock.Advance(absl::Seconds(6));  // and now the running one's
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[run_id].finish, FinishReason::kTimeout);
  EXPECT_EQ(out[run_id].timings.generated_tokens, 4);  // 3 steps, 1 more before
  EXPECT_EQ(out[free_id].finish, FinishReason::kLength);
  EXPECT_EQ(engine->active_sequences(), 0);
  EXPECT_EQ(engine->stats().kv_used_bytes, 0);
}

}  // namespace
}  // namespace inferd::llm
