// Constrained decoding in the engine: every output of a grammar-constrained
// request is a sentence (or, when cut by max_tokens, a prefix) of the
// grammar, whatever the seed.

#include <map>
#include <string>
#include <vector>

#include "backend/llm/engine.h"
#include "backend/llm/testing/engine_requests.h"
#include "gtest/gtest.h"
#include "text/grammar_matcher.h"

namespace inferd::llm {
namespace {

using testing::LoadModel;

struct Outcome {
  std::string text;
  int64_t tokens = 0;
  FinishReason finish = FinishReason::kNone;
  std::string detail;
};

std::map<SequenceId, Outcome> RunToEnd(Engine& engine) {
  std::map<SequenceId, Outcome> out;
  std::vector<StepEvent> events;
  for (int step = 0; step < 1000 && engine.active_sequences() > 0; ++step) {
    EXPECT_TRUE(engine.Step(&events).ok());
    for (const StepEvent& e : events) {
      Outcome& o = out[e.id];
      o.tokens += e.token >= 0;
      o.text += e.text;
      if (e.finish != FinishReason::kNone) {
        o.finish = e.finish;
        o.detail = e.detail;
      }
    }
  }
  return out;
}

std::shared_ptr<const text::Grammar> Compile(std::string_view text) {
  auto g = text::Grammar::Compile(text);
  EXPECT_TRUE(g.ok()) << g.status();
  return *g;
}

// 0: not even a prefix, 1: a prefix, 2: a complete sentence.
int Match(const std::shared_ptr<const text::Grammar>& g, const std::string& text) {
  text::GrammarMatcher m(g);
  auto s = m.AdvanceBytes(m.start(), text);
  if (s == text::GrammarMatcher::kDead) return 0;
  return m.IsAccepting(s) ? 2 : 1;
}

GenerationRequest Sampled(const Model& model, uint64_t seed, int max_tokens,
                          std::shared_ptr<const text::Grammar> grammar) {
  GenerationRequest r;
  r.prompt = model.tokenizer().Encode("Once upon a time", true, false);
  r.sampling.temperature = 1.0f;
  r.sampling.top_k = 0;
  r.sampling.top_p = 1.0f;
  r.sampling.min_p = 0;
  r.sampling.seed = seed;
  r.max_tokens = max_tokens;
  r.grammar = std::move(grammar);
  return r;
}

TEST(EngineGrammarTest, EveryOutputIsASentenceOfTheGrammar) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto grammar = Compile(R"(
root ::= "{\"name\": \"" [a-z ]{1,12} "\", \"age\": " [1-9] [0-9]? ", \"ok\": " ("true" | "false") "}"
)");
  auto engine = *Engine::Create(model, {.threads = 2});
  std::vector<SequenceId> ids;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    ids.push_back(*engine->Add(Sampled(*model, seed, 200, grammar)));
  }
  auto out = RunToEnd(*engine);
  for (SequenceId id : ids) {
    EXPECT_EQ(out[id].finish, FinishReason::kStop) << out[id].text;
    EXPECT_EQ(Match(grammar, out[id].text), 2) << out[id].text;
  }
}

TEST(EngineGrammarTest, EndOfGenerationOnlyWhereTheGrammarAccepts) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  // The output may stop after any number of letters from 3 on, so the model's
  // end-of-sequence token is allowed there and only there.
  auto grammar = Compile(R"(root ::= [a-z]{3} [a-z]*)");
  auto engine = *Engine::Create(model, {.threads = 2});
  std::vector<SequenceId> ids;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    ids.push_back(*engine->Add(Sampled(*model, seed, 40, grammar)));
  }
  auto out = RunToEnd(*engine);
  for (SequenceId id : ids) {
    const Outcome& o = out[id];
    if (o.finish == FinishReason::kStop) {
      EXPECT_EQ(Match(grammar, o.text), 2) << o.text;
    } else {
      EXPECT_EQ(o.finish, FinishReason::kLength);
      EXPECT_EQ(o.tokens, 40);
      EXPECT_GE(Match(grammar, o.text), 1) << o.text;
    }
  }
}

TEST(EngineGrammarTest, MaxTokensCutsTheOutputWithLength) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto grammar = Compile(R"(root ::= "[" ("\"" [a-z]{20} "\"" ", "?){5} "]")");
  auto engine = *Engine::Create(model, {.threads = 2});
  const SequenceId id = *engine->Add(Sampled(*model, 3, 6, grammar));
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[id].finish, FinishReason::kLength);
  EXPECT_EQ(out[id].tokens, 6);
  EXPECT_EQ(Match(grammar, out[id].text), 1) << out[id].text;
}

TEST(EngineGrammarTest, GreedyFollowsTheGrammarToo) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  auto grammar = Compile(R"(root ::= "yes" | "no")");
  auto engine = *Engine::Create(model, {.threads = 2});
  GenerationRequest r = testing::Greedy(model->tokenizer().Encode("Is it?", true, false), 20);
  r.grammar = grammar;
  const SequenceId id = *engine->Add(std::move(r));
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[id].finish, FinishReason::kStop);
  EXPECT_TRUE(out[id].text == "yes" || out[id].text == "no") << out[id].text;
}

TEST(EngineGrammarTest, AGrammarNoTokenCanFollowStopsWithAReason) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  // U+E000 (private use) is in no token of the tiny vocabulary... unless it
  // has byte tokens, which spell any UTF-8: then the output is that character.
  auto grammar = Compile(R"(root ::= "\uE000")");
  auto engine = *Engine::Create(model, {.threads = 2});
  const SequenceId id = *engine->Add(Sampled(*model, 1, 10, grammar));
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[id].finish, FinishReason::kStop);
  if (out[id].text.empty()) {
    EXPECT_EQ(out[id].detail, "grammar: no token can continue the output");
  } else {
    EXPECT_EQ(out[id].text, "\xee\x80\x80");
  }
}

TEST(EngineGrammarTest, AGrammarTooAmbiguousToFollowEndsRefused) {
  auto model = LoadModel("tiny-llama-f32.gguf");
  ASSERT_NE(model, nullptr);
  // Compiles (its start is small), but each "a" adds hundreds of parse
  // stacks; a sequence beside it is not held up and ends normally.
  auto grammar = Compile(R"(root ::= "a"* (("a"{0,300}){0,300}))");
  auto engine = *Engine::Create(model, {.threads = 2});
  const SequenceId bad = *engine->Add(Sampled(*model, 1, 64, grammar));
  const SequenceId free = *engine->Add(Sampled(*model, 2, 8, nullptr));
  auto out = RunToEnd(*engine);
  EXPECT_EQ(out[bad].finish, FinishReason::kRefused);
  EXPECT_NE(out[bad].detail.find("too ambiguous"), std::string::npos) << out[bad].detail;
  EXPECT_LT(out[bad].tokens, 64);
  EXPECT_EQ(out[free].finish, FinishReason::kLength);
  EXPECT_EQ(out[free].tokens, 8);
}

}  // namespace
}  // namespace inferd::llm
