// The engine with the prefix cache: greedy output must be the same as
// without it, while the shared prefix is not computed again.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backend/llm/engine.h"
#include "backend/llm/testing/engine_requests.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

using testing::Greedy;
using testing::LoadModel;

constexpr int64_t kBlock = 16;

// `n` token ids from a fixed pseudo-random sequence named by `seed`.
std::vector<int32_t> Ids(const Model& model, int n, uint32_t seed) {
  std::vector<int32_t> ids;
  uint32_t x = seed * 2654435761u + 12345u;
  const uint32_t range = static_cast<uint32_t>(model.config().n_vocab) - 10;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    ids.push_back(static_cast<int32_t>(5 + (x >> 8) % range));
  }
  return ids;
}

std::vector<int32_t> Concat(std::vector<int32_t> a,
                            const std::vector<int32_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

struct Outcome {
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::kNone;
  SequenceTimings timings;
  int first_token_step = 0;  // 1-based, counted from the start of the run
};

// Steps until no sequence is active; `events` of earlier steps may be given.
std::map<SequenceId, Outcome> RunToEnd(Engine& engine,
                                       std::map<SequenceId, Outcome> out = {}) {
  std::vector<StepEvent> events;
  for (int step = 1; step <= 500 && engine.active_sequences() > 0; ++step) {
    EXPECT_TRUE(engine.Step(&events).ok());
    for (const StepEvent& e : events) {
      Outcome& o = out[e.id];
      if (e.token >= 0) {
        if (o.tokens.empty() && o.first_token_step == 0)
          o.first_token_step = step;
        o.tokens.push_back(e.token);
      }
      if (e.finish != FinishReason::kNone) {
        o.finish = e.finish;
        o.timings = e.timings;
      }
    }
  }
  return out;
}

// One step; its events are recorded into `out`.
void StepInto(Engine& engine, std::map<SequenceId, Outcome>& out) {
  std::vector<StepEvent> events;
  ASSERT_TRUE(engine.Step(&events).ok());
  for (const StepEvent& e : events) {
    if (e.token >= 0) out[e.id].tokens.push_back(e.token);
    if (e.finish != FinishReason::kNone) out[e.id].finish = e.finish;
  }
}

Outcome RunOne(Engine& engine, GenerationRequest request) {
  const SequenceId id = *engine.Add(std::move(request));
  return RunToEnd(engine)[id];
}

// Greedy tokens of `request` alone on a fresh engine without the cache.
std::vector<int32_t> Reference(std::shared_ptr<const Model> model,
                               Engine::Options options,
                               GenerationRequest request) {
  options.prefix_cache = false;
  auto engine = *Engine::Create(std::move(model), options);
  return RunOne(*engine, std::move(request)).tokens;
}

class PrefixCacheEngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    model_ = LoadModel(GetParam());
    ASSERT_NE(model_, nullptr);
  }
  std::shared_ptr<const Model> model_;
};

TEST_P(PrefixCacheEngineTest, SamePromptTwiceSkipsThePrefixAndMatches) {
  const Engine::Options options{
      .threads = 1, .max_batch_tokens = 8, .kv_block_tokens = kBlock};
  const GenerationRequest request = Greedy(Ids(*model_, 40, 1), 12);
  const std::vector<int32_t> expected = Reference(model_, options, request);
  auto engine = *Engine::Create(model_, options);
  const Outcome first = RunOne(*engine, request);
  EXPECT_EQ(first.tokens, expected);
  EXPECT_EQ(first.timings.cached_prompt_tokens, 0);
  EXPECT_EQ(first.first_token_step, 5);  // 40 prompt tokens, 8 per step
  const Outcome second = RunOne(*engine, request);
  EXPECT_EQ(second.tokens, expected);
  EXPECT_EQ(second.timings.cached_prompt_tokens, 32);
  EXPECT_EQ(second.timings.prompt_tokens, 40);
  EXPECT_EQ(second.first_token_step, 1);  // only the last 8 are computed
  const Engine::Stats stats = engine->stats();
  EXPECT_EQ(stats.prompt_tokens, 80);
  EXPECT_EQ(stats.prefix_cache_hit_tokens, 32);
  EXPECT_EQ(stats.prefix_cache_hits, 1);
  EXPECT_EQ(stats.generated_tokens, 24);
  EXPECT_EQ(stats.kv_used_tokens, 0);
  // 40 + 11 positions were written: three full blocks stay cached.
  EXPECT_EQ(stats.prefix_cache_tokens, 48);
}

TEST_P(PrefixCacheEngineTest, SharedSystemPromptWithDifferentSuffixes) {
  const Engine::Options options{
      .threads = 1, .max_batch_tokens = 16, .kv_block_tokens = kBlock};
  const std::vector<int32_t> system = Ids(*model_, 37, 2);
  auto engine = *Engine::Create(model_, options);
  int k = 0;
  for (int suffix : {5, 9, 20, 1}) {
    const GenerationRequest request =
        Greedy(Concat(system, Ids(*model_, suffix, 10 + suffix)), 10);
    const Outcome out = RunOne(*engine, request);
    EXPECT_EQ(out.tokens, Reference(model_, options, request)) << suffix;
    // The system prompt's two full blocks; its third block holds suffix
    // tokens too and differs between requests.
    EXPECT_EQ(out.timings.cached_prompt_tokens, k++ == 0 ? 0 : 32) << suffix;
  }
  EXPECT_EQ(engine->stats().prefix_cache_hits, 3);
  EXPECT_EQ(engine->stats().prefix_cache_hit_tokens, 96);
}

TEST_P(PrefixCacheEngineTest, APromptOfWholeBlocksRecomputesItsLastBlock) {
  const Engine::Options options{
      .threads = 1, .max_batch_tokens = 64, .kv_block_tokens = kBlock};
  const GenerationRequest request = Greedy(Ids(*model_, 32, 3), 6);
  const std::vector<int32_t> expected = Reference(model_, options, request);
  auto engine = *Engine::Create(model_, options);
  EXPECT_EQ(RunOne(*engine, request).tokens, expected);
  const Outcome again = RunOne(*engine, request);
  EXPECT_EQ(again.tokens, expected);
  EXPECT_EQ(again.timings.cached_prompt_tokens, 16);
}

TEST_P(PrefixCacheEngineTest, AGrowingChatReusesTheEarlierTurnAndItsAnswer) {
  const Engine::Options options{
      .threads = 1, .max_batch_tokens = 32, .kv_block_tokens = kBlock};
  auto engine = *Engine::Create(model_, options);
  const std::vector<int32_t> turn1 = Ids(*model_, 21, 4);
  const Outcome answer1 = RunOne(*engine, Greedy(turn1, 20));
  ASSERT_EQ(answer1.tokens.size(), 20u);
  // The next prompt repeats the first turn and its answer: 41 positions
  // were written, two full blocks of them are reused.
  const GenerationRequest turn2 =
      Greedy(Concat(Concat(turn1, answer1.tokens), Ids(*model_, 7, 5)), 8);
  const Outcome answer2 = RunOne(*engine, turn2);
  EXPECT_EQ(answer2.tokens, Reference(model_, options, turn2));
  EXPECT_EQ(answer2.timings.cached_prompt_tokens, 32);
}

// A pool of 4 blocks: a later prompt evicts cached blocks, least recently
// used first and a sequence's tail before its head.
TEST_P(PrefixCacheEngineTest, EvictionUnderPressureKeepsOutputsExact) {
  const Engine::Options options{.threads = 1,
                                .max_batch_tokens = 16,
                                .kv_cache_tokens = 4 * kBlock,
                                .kv_block_tokens = kBlock};
  const GenerationRequest a = Greedy(Ids(*model_, 40, 6), 8);   // 3 blocks
  const GenerationRequest b = Greedy(Ids(*model_, 20, 7), 20);  // 3 blocks
  const std::vector<int32_t> a_expected = Reference(model_, options, a);
  const std::vector<int32_t> b_expected = Reference(model_, options, b);
  auto engine = *Engine::Create(model_, options);
  EXPECT_EQ(RunOne(*engine, a).tokens, a_expected);
  EXPECT_EQ(engine->stats().prefix_cache_tokens, 32);  // a's 2 full blocks
  EXPECT_EQ(RunOne(*engine, b).tokens, b_expected);    // evicts a's tail
  const Outcome a2 = RunOne(*engine, a);
  EXPECT_EQ(a2.tokens, a_expected);
  EXPECT_EQ(a2.timings.cached_prompt_tokens, 16);  // a's head survived
  const Outcome b2 = RunOne(*engine, b);
  EXPECT_EQ(b2.tokens, b_expected);
  EXPECT_EQ(b2.timings.cached_prompt_tokens, 16);
  const Engine::Stats stats = engine->stats();
  EXPECT_EQ(stats.kv_used_tokens, 0);
  EXPECT_LE(stats.prefix_cache_tokens, stats.kv_capacity_tokens);
  EXPECT_EQ(stats.kv_capacity_tokens, 64);
}

// B and C join while A still runs and read A's blocks of the shared prefix.
TEST_P(PrefixCacheEngineTest, ConcurrentSequencesShareBlocks) {
  const Engine::Options options{
      .threads = 1, .max_batch_tokens = 64, .kv_block_tokens = kBlock};
  const std::vector<int32_t> system = Ids(*model_, 40, 8);
  std::vector<GenerationRequest> requests;
  for (int k = 0; k < 3; ++k) {
    requests.push_back(Greedy(Concat(system, Ids(*model_, 5, 20 + k)), 10));
  }
  auto engine = *Engine::Create(model_, options);
  std::map<SequenceId, Outcome> out;
  std::vector<SequenceId> ids = {*engine->Add(requests[0])};
  StepInto(*engine, out);  // A's whole prompt: blocks 0 and 1 are published
  ids.push_back(*engine->Add(requests[1]));
  ids.push_back(*engine->Add(requests[2]));
  StepInto(*engine, out);
  Engine::Stats stats = engine->stats();
  EXPECT_EQ(stats.running, 3);
  EXPECT_EQ(stats.prefix_cache_hits, 2);
  EXPECT_EQ(stats.prefix_cache_hit_tokens, 64);
  // A holds 4 blocks (45 + 10 positions); B and C share A's first two and
  // hold two more each: 8 blocks, not 12.
  EXPECT_EQ(stats.kv_used_tokens, 8 * kBlock);
  out = RunToEnd(*engine, std::move(out));
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(out[ids[k]].tokens, Reference(model_, options, requests[k])) << k;
    EXPECT_EQ(out[ids[k]].finish, FinishReason::kLength) << k;
  }
  EXPECT_EQ(engine->stats().kv_used_tokens, 0);
}

// The sequence that computed the shared blocks is cancelled while others
// read them, then one of the readers is: the rest go on unharmed, the
// blocks stay cached, and nothing leaks.
TEST_P(PrefixCacheEngineTest, CancellationWhileSharing) {
  const Engine::Options options{
      .threads = 1, .max_batch_tokens = 64, .kv_block_tokens = kBlock};
  const std::vector<int32_t> system = Ids(*model_, 40, 9);
  std::vector<GenerationRequest> requests;
  for (int k = 0; k < 4; ++k) {
    requests.push_back(Greedy(Concat(system, Ids(*model_, 5, 30 + k)), 12));
  }
  auto engine = *Engine::Create(model_, options);
  std::map<SequenceId, Outcome> out;
  const SequenceId a = *engine->Add(requests[0]);
  StepInto(*engine, out);
  const SequenceId b = *engine->Add(requests[1]);
  const SequenceId c = *engine->Add(requests[2]);
  StepInto(*engine, out);
  engine->Cancel(a);
  StepInto(*engine, out);
  EXPECT_EQ(out[a].finish, FinishReason::kCancelled);
  engine->Cancel(b);
  StepInto(*engine, out);
  EXPECT_EQ(out[b].finish, FinishReason::kCancelled);
  out = RunToEnd(*engine, std::move(out));
  EXPECT_EQ(out[c].tokens, Reference(model_, options, requests[2]));
  EXPECT_EQ(out[c].finish, FinishReason::kLength);
  EXPECT_EQ(engine->stats().kv_used_tokens, 0);
  EXPECT_GE(engine->stats().prefix_cache_tokens, 32);
  // The prefix outlived every sequence that used it.
  const Outcome d = RunOne(*engine, requests[3]);
  EXPECT_EQ(d.tokens, Reference(model_, options, requests[3]));
  EXPECT_EQ(d.timings.cached_prompt_tokens, 32);
}

INSTANTIATE_TEST_SUITE_P(Models, PrefixCacheEngineTest,
                         ::testing::Values("tiny-llama-f32.gguf",
                                           "tiny-llama-q8_0.gguf",
                                           "tiny-qwen2-f16.gguf"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name =
                               info.param.substr(0, info.param.find('.'));
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

TEST(PrefixCacheOptionTest, DisabledReusesNothing) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  const Engine::Options options{.threads = 1,
                                .max_batch_tokens = 8,
                                .kv_block_tokens = kBlock,
                                .prefix_cache = false};
  auto engine = *Engine::Create(model, options);
  const GenerationRequest request = Greedy(Ids(*model, 40, 1), 4);
  const Outcome first = RunOne(*engine, request);
  const Outcome second = RunOne(*engine, request);
  EXPECT_EQ(second.tokens, first.tokens);
  EXPECT_EQ(second.timings.cached_prompt_tokens, 0);
  EXPECT_EQ(second.first_token_step, 5);  // the whole prompt again
  const Engine::Stats stats = engine->stats();
  EXPECT_EQ(stats.prefix_cache_hits, 0);
  EXPECT_EQ(stats.prefix_cache_hit_tokens, 0);
  EXPECT_EQ(stats.prefix_cache_tokens, 0);
  EXPECT_EQ(stats.prompt_tokens, 80);
  EXPECT_EQ(stats.generated_tokens, 8);
}

}  // namespace
}  // namespace inferd::llm
