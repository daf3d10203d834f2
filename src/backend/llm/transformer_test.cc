#include "backend/llm/transformer.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "backend/llm/kernel_set.h"
#include "backend/llm/kv_cache.h"
#include "backend/llm/model.h"
#include "backend/llm/testing/golden.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

using testing_util::Golden;
using testing_util::ReadGoldens;

struct Runner {
  std::unique_ptr<Model> model;
  std::unique_ptr<ThreadPool> pool;
  std::unique_ptr<Transformer> transformer;
  std::unique_ptr<KvCache> cache;

  explicit Runner(const std::string& path, int threads = 2,
                  GgmlType kv_type = GgmlType::kF16, int64_t context = 128) {
    auto m = Model::Load(path);
    EXPECT_TRUE(m.ok()) << m.status();
    if (!m.ok()) return;
    model = *std::move(m);
    pool = std::make_unique<ThreadPool>(threads - 1);  // and the caller
    transformer =
        *Transformer::Create(model.get(), pool.get(), {64, context});
    const ModelConfig& c = model->config();
    cache = *KvCache::Create(KvCache::Options{c.n_layers, c.kv_dim(), 16,
                                              std::max<int64_t>(64, context / 8),
                                              kv_type, c.head_dim});
  }

  // Feeds `ids` to `seq` starting at its length, `chunk` tokens per call;
  // returns the logits after the last one.
  std::vector<float> Feed(SequenceKv& seq, const std::vector<int32_t>& ids,
                          size_t chunk = 64) {
    std::vector<float> logits(model->config().n_vocab);
    size_t i = 0;
    while (i < ids.size()) {
      const size_t n = std::min(chunk, ids.size() - i);
      std::vector<BatchToken> batch;
      for (size_t k = 0; k < n; ++k) {
        batch.push_back({ids[i + k], static_cast<int32_t>(seq.length + k), 0,
                         i + k == ids.size() - 1});
      }
      EXPECT_TRUE(cache->Reserve(seq, seq.length + n).ok());
      SequenceKv* seqs[] = {&seq};
      EXPECT_TRUE(
          transformer->Forward(batch, seqs, cache.get(), logits.data()).ok());
      i += n;
    }
    return logits;
  }
};

int32_t Argmax(const std::vector<float>& v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

struct TypeCase {
  const char* file;
  double tolerance;   // max |logit - reference|; logits span about +-10.
                      // Q8_0/Q4_0 also quantise activations to 8 bits.
  bool exact_greedy;  // greedy continuation must match token for token
  bool bf16 = false;  // BF16 weights (their prompts may round activations)
};

class GoldenTest : public ::testing::TestWithParam<TypeCase> {};

// Logit error an F16 KV cache adds to these models: keys and values keep 11
// significant bits (relative error <= 2^-11). Measured against the float64
// references: 4.5e-4 .. 1.4e-3 for most float models, 2.3e-3 for gemma3 and
// 4.8e-3 for qwen3 (whose q/k norms give the largest scores); logits span
// about +-10. With an F32 cache the float models stay within 5e-5.
constexpr double kF16KvLogitError = 6e-3;

// Logit error of BF16 files on a set whose GEMM rounds the prompt's
// activations to bf16 (8 significant bits, as a model run in bf16): 0.006-
// 0.03 against the float64 references; every greedy token kept.
constexpr double kBf16ActivationLogitError = 0.05;

// The F32 cache holds the reference's tolerance; the default F16 cache
// widens it by kF16KvLogitError and keeps every greedy token.
TEST_P(GoldenTest, LogitsAndGreedyMatchReference) {
  const std::string path = std::string("tests/data/llm/") + GetParam().file;
  std::vector<Golden> goldens = ReadGoldens(path + ".golden");
  ASSERT_FALSE(goldens.empty()) << path;
  for (GgmlType kv_type : {GgmlType::kF32, GgmlType::kF16}) {
    Runner r(path, 2, kv_type);
    ASSERT_NE(r.model, nullptr);
    const bool bf16_activations =
        GetParam().bf16 && ActiveKernels().gemm_bf16_block != nullptr;
    const double tolerance =
        GetParam().tolerance +
        (kv_type == GgmlType::kF16 ? kF16KvLogitError : 0.0) +
        (bf16_activations ? kBf16ActivationLogitError : 0.0);
    const std::string what = path + ", " + KvCache::TypeName(kv_type) + " KV";
    for (const Golden& g : goldens) {
      SequenceKv seq;
      std::vector<float> logits = r.Feed(seq, g.prompt);
      double max_err = 0;
      for (size_t i = 0; i < g.logits.size(); ++i) {
        max_err = std::max<double>(max_err, std::fabs(logits[i] - g.logits[i]));
      }
      EXPECT_LE(max_err, tolerance) << what;
      // Quantised types: the first chosen token must be one the reference
      // scores within the tolerance of its best (near-ties may flip).
      const int32_t first = Argmax(logits);
      const float best = *std::max_element(g.logits.begin(), g.logits.end());
      EXPECT_GE(g.logits[first], best - 2 * tolerance) << what;
      std::vector<int32_t> generated;
      for (size_t k = 0; k < g.greedy.size(); ++k) {
        generated.push_back(Argmax(logits));
        logits = r.Feed(seq, {generated.back()});
      }
      if (GetParam().exact_greedy) {
        EXPECT_EQ(generated, g.greedy) << what;
      }
      r.cache->Release(seq);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, GoldenTest,
    ::testing::Values(TypeCase{"tiny-llama-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-llama-f16.gguf", 2e-4, true},
                      TypeCase{"tiny-llama-bf16.gguf", 2e-4, true, true},
                      TypeCase{"tiny-llama-q8_0.gguf", 0.15, false},
                      TypeCase{"tiny-llama-q4_0.gguf", 0.3, false},
                      TypeCase{"tiny-llama-q4_k_m.gguf", 0.3, false},
                      TypeCase{"tiny-llama3-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-qwen2-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-qwen2-f16.gguf", 2e-4, true},
                      TypeCase{"tiny-qwen2-bf16.gguf", 2e-4, true, true},
                      TypeCase{"tiny-qwen2-q8_0.gguf", 0.15, false},
                      TypeCase{"tiny-qwen2-q4_0.gguf", 0.3, false}),
    [](const ::testing::TestParamInfo<TypeCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find(".gguf"));
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// The other architectures (scripts/llm/make_arch_models.py: seeded random
// weights, float64 references after Hugging Face's modelling code).
INSTANTIATE_TEST_SUITE_P(
    Architectures, GoldenTest,
    ::testing::Values(TypeCase{"tiny-qwen3-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-gemma2-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-gemma3-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-phi3-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-phi3-q8_0.gguf", 0.15, false},
                      TypeCase{"tiny-mistral-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-llama-yarn-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-llama-linear-f32.gguf", 2e-4, true},
                      TypeCase{"tiny-phi3-longrope-f32.gguf", 2e-4, true}),
    [](const ::testing::TestParamInfo<TypeCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find(".gguf"));
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

// LongRoPE: a transformer whose context fits the original one uses the
// short factors (the golden above, with a context of 128, the long ones).
TEST(TransformerTest, LongRopeFactorsFollowTheContext) {
  Runner r("tests/data/llm/tiny-phi3-longrope-f32.gguf");
  ASSERT_NE(r.model, nullptr);
  const ModelConfig& c = r.model->config();
  ASSERT_EQ(c.rope_long_context, 16);
  ASSERT_EQ(r.model->rope_inv_freq_long().size(), 6u);
  EXPECT_NE(r.model->rope_inv_freq_long()[5], r.model->rope_inv_freq()[5]);
  const std::vector<int32_t> ids = {1, 40, 7, 300, 12, 99, 5};
  SequenceKv a;
  const std::vector<float> long_logits = r.Feed(a, ids);
  auto short_t = Transformer::Create(r.model.get(), r.pool.get(), {64, 16});
  ASSERT_TRUE(short_t.ok());
  r.transformer = *std::move(short_t);
  SequenceKv b;
  const std::vector<float> short_logits = r.Feed(b, ids);
  double diff = 0;
  for (size_t i = 0; i < long_logits.size(); ++i) {
    diff = std::max<double>(diff, std::fabs(long_logits[i] - short_logits[i]));
  }
  EXPECT_GT(diff, 1e-3);
}

// Sliding windows and per-layer RoPE tables hold when the prompt arrives in
// chunks that straddle the window.
TEST(TransformerTest, SlidingWindowChunkedPrefillEqualsWhole) {
  for (const char* file : {"tiny-gemma2-f32.gguf", "tiny-gemma3-f32.gguf",
                           "tiny-mistral-f32.gguf"}) {
    Runner r(std::string("tests/data/llm/") + file);
    ASSERT_NE(r.model, nullptr);
    ASSERT_GT(r.model->config().sliding_window, 0) << file;
    std::vector<int32_t> ids;
    for (int i = 0; i < 19; ++i) ids.push_back(3 + (i * 37) % 500);
    SequenceKv a, b;
    const std::vector<float> whole = r.Feed(a, ids);
    const std::vector<float> chunked = r.Feed(b, ids, 3);
    for (size_t i = 0; i < whole.size(); ++i) {
      ASSERT_NEAR(whole[i], chunked[i], 1e-4) << file << " " << i;
    }
  }
}

TEST(TransformerTest, ChunkedPrefillEqualsWholePrefill) {
  Runner r("tests/data/llm/tiny-llama-f32.gguf");
  ASSERT_NE(r.model, nullptr);
  std::vector<int32_t> ids = r.model->tokenizer().Encode(
      "The quick brown fox jumps over the lazy dog again", true, false);
  SequenceKv a, b;
  const std::vector<float> whole = r.Feed(a, ids);
  const std::vector<float> chunked = r.Feed(b, ids, 3);
  for (size_t i = 0; i < whole.size(); ++i) {
    ASSERT_NEAR(whole[i], chunked[i], 1e-4) << i;
  }
}

TEST(TransformerTest, BatchedSequencesEqualSeparateRuns) {
  Runner r("tests/data/llm/tiny-qwen2-f16.gguf");
  ASSERT_NE(r.model, nullptr);
  const text::GgufTokenizer& tok = r.model->tokenizer();
  const std::vector<int32_t> p0 =
      tok.Encode("Hello there, friend", false, false);
  const std::vector<int32_t> p1 = tok.Encode("Why is the sky", false, false);
  SequenceKv s0, s1;
  const std::vector<float> alone0 = r.Feed(s0, p0);
  const std::vector<float> alone1 = r.Feed(s1, p1);
  r.cache->Release(s0);
  r.cache->Release(s1);
  // Both prompts in one batch, mixed with a decode-style single token.
  SequenceKv b0, b1;
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < p0.size(); ++i) {
    batch.push_back({p0[i], static_cast<int32_t>(i), 0, i + 1 == p0.size()});
  }
  for (size_t i = 0; i < p1.size(); ++i) {
    batch.push_back({p1[i], static_cast<int32_t>(i), 1, i + 1 == p1.size()});
  }
  ASSERT_TRUE(r.cache->Reserve(b0, p0.size()).ok());
  ASSERT_TRUE(r.cache->Reserve(b1, p1.size()).ok());
  SequenceKv* seqs[] = {&b0, &b1};
  const int64_t V = r.model->config().n_vocab;
  std::vector<float> logits(2 * V);
  ASSERT_TRUE(
      r.transformer->Forward(batch, seqs, r.cache.get(), logits.data()).ok());
  for (int64_t i = 0; i < V; ++i) {
    ASSERT_NEAR(logits[i], alone0[i], 1e-4);
    ASSERT_NEAR(logits[V + i], alone1[i], 1e-4);
  }
}

// 4096 positions in one sequence (the scores of a whole context no longer
// sit in a buffer): the F16 cache's logits stay within the golden test's
// f16 widening of the F32 cache's, and the greedy pick is the same.
TEST(TransformerTest, LongContextF16MatchesF32) {
  const int64_t length = 4096;
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < length; ++i) ids.push_back(3 + (i * 37) % 500);
  std::vector<float> logits[2];
  int k = 0;
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16}) {
    Runner r("tests/data/llm/tiny-llama-f32.gguf", 2, type, length);
    ASSERT_NE(r.model, nullptr);
    SequenceKv seq;
    logits[k++] = r.Feed(seq, ids);
    EXPECT_EQ(seq.length, length);
  }
  double worst = 0;
  for (size_t i = 0; i < logits[0].size(); ++i) {
    worst = std::max<double>(worst, std::fabs(logits[0][i] - logits[1][i]));
  }
  EXPECT_GT(worst, 0);
  EXPECT_LE(worst, kF16KvLogitError);
  EXPECT_EQ(Argmax(logits[0]), Argmax(logits[1]));
}

TEST(TransformerTest, RejectsTokenWithoutCacheRoom) {
  Runner r("tests/data/llm/tiny-llama-f32.gguf");
  ASSERT_NE(r.model, nullptr);
  SequenceKv seq;  // no blocks reserved
  SequenceKv* seqs[] = {&seq};
  BatchToken t{1, 0, 0, true};
  std::vector<float> logits(r.model->config().n_vocab);
  EXPECT_FALSE(
      r.transformer->Forward({&t, 1}, seqs, r.cache.get(), logits.data()).ok());
}

}  // namespace
}  // namespace inferd::llm
