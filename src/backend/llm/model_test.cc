#include "backend/llm/model.h"

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/llm/gguf_writer.h"
#include "backend/llm/kernel_set.h"
#include "backend/llm/kv_cache.h"
#include "backend/llm/testing/quantize.h"
#include "backend/llm/transformer.h"
#include "common/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

using ::testing::HasSubstr;

// A minimal llama-shaped model: dim 32, 1 layer, 2 heads, vocab 300.
struct Spec {
  std::string arch = "llama";
  std::string tokenizer = "llama";
  std::map<std::string, uint32_t> ints = {
      {"embedding_length", 32},       {"block_count", 1},
      {"feed_forward_length", 64},    {"attention.head_count", 2},
      {"attention.head_count_kv", 1}, {"context_length", 64}};
  // name -> (type, shape); filled by Default().
  std::map<std::string, std::pair<GgmlType, std::vector<int64_t>>> tensors;
  std::vector<std::string> extra_strings;  // key=value metadata
  std::map<std::string, std::string> data;  // tensor bytes; zeros if absent

  static Spec Default() {
    Spec s;
    const auto f32 = GgmlType::kF32;
    s.tensors["token_embd.weight"] = {f32, {32, 300}};
    s.tensors["output_norm.weight"] = {f32, {32}};
    s.tensors["blk.0.attn_norm.weight"] = {f32, {32}};
    s.tensors["blk.0.attn_q.weight"] = {f32, {32, 32}};
    s.tensors["blk.0.attn_k.weight"] = {f32, {32, 16}};
    s.tensors["blk.0.attn_v.weight"] = {f32, {32, 16}};
    s.tensors["blk.0.attn_output.weight"] = {f32, {32, 32}};
    s.tensors["blk.0.ffn_norm.weight"] = {f32, {32}};
    s.tensors["blk.0.ffn_gate.weight"] = {f32, {32, 64}};
    s.tensors["blk.0.ffn_up.weight"] = {f32, {32, 64}};
    s.tensors["blk.0.ffn_down.weight"] = {f32, {64, 32}};
    return s;
  }

  absl::StatusOr<std::unique_ptr<Model>> Build() const {
    GgufWriter w;
    w.AddString("general.architecture", arch);
    for (const auto& [k, v] : ints) w.AddUint32(arch + "." + k, v);
    for (const std::string& kv : extra_strings) {
      const size_t eq = kv.find('=');
      w.AddString(kv.substr(0, eq), kv.substr(eq + 1));
    }
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    while (tokens.size() < 300)
      tokens.push_back("t" + std::to_string(tokens.size()));
    w.AddString("tokenizer.ggml.model", tokenizer);
    w.AddStringArray("tokenizer.ggml.tokens", tokens);
    for (const auto& [name, t] : tensors) {
      int64_t rows = 1;
      for (size_t i = 1; i < t.second.size(); ++i) rows *= t.second[i];
      const auto bytes = data.find(name);
      w.AddTensorBytes(
          name, t.first, t.second,
          bytes != data.end()
              ? bytes->second
              : std::string(RowBytes(t.first, t.second[0]) * rows, '\0'));
    }
    auto file = GgufFile::FromBytes(w.ToBytes());
    if (!file.ok()) return file.status();
    return Model::FromFile(*std::move(file));
  }
};

TEST(ModelTest, LoadsValidModelWithTiedOutput) {
  auto model = Spec::Default().Build();
  ASSERT_TRUE(model.ok()) << model.status();
  const ModelConfig& c = (*model)->config();
  EXPECT_EQ(c.n_vocab, 300);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.kv_dim(), 16);
  EXPECT_TRUE(c.tied_output);
  EXPECT_FALSE(c.rope_neox);
  EXPECT_EQ((*model)->rope_inv_freq().size(), 8u);
}

TEST(ModelTest, SplitsPhi3FusedMatricesIntoViews) {
  Spec spec = Spec::Default();
  spec.arch = "phi3";
  for (const char* name : {"blk.0.attn_q.weight", "blk.0.attn_k.weight",
                           "blk.0.attn_v.weight", "blk.0.ffn_gate.weight"}) {
    spec.tensors.erase(name);
  }
  spec.tensors["blk.0.attn_qkv.weight"] = {GgmlType::kF32, {32, 64}};
  spec.tensors["blk.0.ffn_up.weight"] = {GgmlType::kF32, {32, 128}};
  auto model = spec.Build();
  ASSERT_TRUE(model.ok()) << model.status();
  const LayerWeights& L = (*model)->layers()[0];
  EXPECT_EQ(L.wq.rows, 32);
  EXPECT_EQ(L.wk.rows, 16);
  EXPECT_EQ(L.wv.rows, 16);
  EXPECT_EQ(L.wk.data, L.wq.data + 32 * L.wq.row_bytes);
  EXPECT_EQ(L.wv.data, L.wk.data + 16 * L.wk.row_bytes);
  EXPECT_EQ(L.w_gate.rows, 64);
  EXPECT_EQ(L.w_up.data, L.w_gate.data + 64 * L.w_gate.row_bytes);
  EXPECT_TRUE((*model)->config().rope_neox);
}

TEST(ModelTest, Gemma2TakesLlamaCppDefaultsAndPattern) {
  Spec spec = Spec::Default();
  spec.arch = "gemma2";
  spec.ints["block_count"] = 2;
  for (const char* l : {"blk.0.", "blk.1."}) {
    for (const char* t : {"attn_norm.weight", "ffn_norm.weight",
                          "post_attention_norm.weight",
                          "post_ffw_norm.weight"}) {
      spec.tensors[std::string(l) + t] = {GgmlType::kF32, {32}};
    }
    for (auto [t, shape] : std::initializer_list<
             std::pair<const char*, std::vector<int64_t>>>{
             {"attn_q.weight", {32, 32}},      {"attn_k.weight", {32, 16}},
             {"attn_v.weight", {32, 16}},      {"attn_output.weight", {32, 32}},
             {"ffn_gate.weight", {32, 64}},    {"ffn_up.weight", {32, 64}},
             {"ffn_down.weight", {64, 32}}}) {
      spec.tensors[std::string(l) + t] = {GgmlType::kF32, shape};
    }
  }
  auto model = spec.Build();
  ASSERT_TRUE(model.ok()) << model.status();
  const ModelConfig& c = (*model)->config();
  EXPECT_EQ(c.sliding_window, 64);  // 4096, bounded by the context
  EXPECT_TRUE(c.is_sliding(0));
  EXPECT_FALSE(c.is_sliding(1));
  EXPECT_FLOAT_EQ(c.attn_softcap, 50.0f);
  EXPECT_FLOAT_EQ(c.final_softcap, 30.0f);
  EXPECT_FLOAT_EQ(c.embed_scale, std::sqrt(32.0f));
  EXPECT_EQ(c.ffn_activation, ModelConfig::Activation::kGeluTanh);
  EXPECT_TRUE(c.post_norms);
}

struct BadCase {
  const char* name;
  std::function<void(Spec&)> mutate;
  const char* message;
};

class ModelRejectsTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ModelRejectsTest, WithMessage) {
  Spec spec = Spec::Default();
  GetParam().mutate(spec);
  auto model = spec.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    AllCases, ModelRejectsTest,
    ::testing::Values(
        BadCase{"UnknownArch", [](Spec& s) { s.arch = "mamba"; },
                "unsupported architecture \"mamba\""},
        BadCase{"MissingHyperparameter",
                [](Spec& s) { s.ints.erase("block_count"); },
                "missing metadata \"llama.block_count\""},
        BadCase{"HeadsNotMultipleOfKv",
                [](Spec& s) { s.ints["attention.head_count_kv"] = 3; },
                "not a multiple of head_count_kv"},
        BadCase{"MissingTensor",
                [](Spec& s) { s.tensors.erase("blk.0.ffn_up.weight"); },
                "missing tensor \"blk.0.ffn_up.weight\""},
        BadCase{"WrongShape",
                [](Spec& s) {
                  s.tensors["blk.0.attn_k.weight"].second = {32, 32};
                },
                "tensor \"blk.0.attn_k.weight\": shape [32, 32], expected "
                "[32, 16]"},
        BadCase{"UnsupportedWeightType",
                [](Spec& s) {
                  s.tensors["blk.0.attn_q.weight"].first = GgmlType::kQ4_1;
                },
                "weight type Q4_1 is not supported"},
        BadCase{"NormNotF32",
                [](Spec& s) {
                  s.tensors["output_norm.weight"].first = GgmlType::kF16;
                },
                "tensor \"output_norm.weight\": expected F32 [32]"},
        BadCase{"UnsupportedRopeScaling",
                [](Spec& s) {
                  s.extra_strings.push_back(
                      "llama.rope.scaling.type=longrope");
                },
                "unsupported llama.rope.scaling.type \"longrope\""},
        BadCase{"YarnWithoutFactor",
                [](Spec& s) {
                  s.extra_strings.push_back("llama.rope.scaling.type=yarn");
                },
                "llama.rope.scaling.factor"},
        BadCase{"ValueLengthDiffers",
                [](Spec& s) { s.ints["attention.value_length"] = 8; },
                "attention.value_length 8 differs"},
        BadCase{"Qwen3WithoutQkNorms", [](Spec& s) { s.arch = "qwen3"; },
                "missing tensor \"blk.0.attn_q_norm.weight\""},
        BadCase{"Gemma2WithoutPostNorms", [](Spec& s) { s.arch = "gemma2"; },
                "missing tensor \"blk.0.post_attention_norm.weight\""},
        BadCase{"Phi3FusedQkvWrongShape",
                [](Spec& s) {
                  s.arch = "phi3";
                  s.tensors["blk.0.attn_qkv.weight"] = {GgmlType::kF32,
                                                        {32, 60}};
                },
                "tensor \"blk.0.attn_qkv.weight\": shape [32, 60], expected "
                "[32, 64]"},
        BadCase{"LongRopeWithoutShortFactors",
                [](Spec& s) {
                  s.tensors["rope_factors_long.weight"] = {GgmlType::kF32,
                                                           {8}};
                },
                "missing tensor \"rope_factors_short.weight\""},
        BadCase{"UnknownTokenizer", [](Spec& s) { s.tokenizer = "bert"; },
                "unsupported tokenizer.ggml.model \"bert\""}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      return std::string(info.param.name);
    });

// A one-layer model of width 256 (the K-quants' block) whose matrices are
// random values stored as `type`; `reference` stores the values `type`
// decodes to as F32 instead, so both models compute the same function.
Spec RandomModel(GgmlType type, bool reference) {
  Spec s = Spec::Default();
  s.ints["embedding_length"] = 256;
  s.ints["feed_forward_length"] = 512;
  std::mt19937 rng(17);
  std::normal_distribution<float> normal;
  auto random = [&](int64_t count, float scale) {
    std::vector<float> v(count);
    for (float& f : v) f = scale * normal(rng);
    return v;
  };
  auto f32_bytes = [](const std::vector<float>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()),
                       v.size() * sizeof(float));
  };
  for (const char* norm : {"output_norm.weight", "blk.0.attn_norm.weight",
                           "blk.0.ffn_norm.weight"}) {
    s.tensors[norm] = {GgmlType::kF32, {256}};
    s.data[norm] = f32_bytes(std::vector<float>(256, 1.0f));
  }
  s.tensors["token_embd.weight"] = {GgmlType::kF32, {256, 300}};
  s.data["token_embd.weight"] = f32_bytes(random(256 * 300, 1.0f));
  const std::pair<const char*, std::vector<int64_t>> matrices[] = {
      {"blk.0.attn_q.weight", {256, 256}},  {"blk.0.attn_k.weight", {256, 128}},
      {"blk.0.attn_v.weight", {256, 128}},  {"blk.0.attn_output.weight", {256, 256}},
      {"blk.0.ffn_gate.weight", {256, 512}}, {"blk.0.ffn_up.weight", {256, 512}},
      {"blk.0.ffn_down.weight", {512, 256}}, {"output.weight", {256, 300}}};
  for (const auto& [name, shape] : matrices) {
    const int64_t cols = shape[0], rows = shape[1];
    const std::vector<float> w = random(cols * rows, 0.1f);
    std::string bytes;
    for (int64_t r = 0; r < rows; ++r) {
      const std::string row = Quantize(type, w.data() + r * cols, cols);
      if (!reference) {
        bytes += row;
        continue;
      }
      std::vector<float> decoded(cols);
      FindKernelSet("scalar")->dequantize_row(type, row.data(), cols,
                                              decoded.data());
      bytes += f32_bytes(decoded);
    }
    s.tensors[name] = {reference ? GgmlType::kF32 : type, shape};
    s.data[name] = bytes;
  }
  return s;
}

// Logits of a 20-token prompt (one batch: the f32 tile path) and then of
// three decode steps (the integer path for quantised types).
std::vector<std::vector<float>> RunLogits(const Model& model,
                                          GgmlType kv_type = GgmlType::kF16) {
  ThreadPool pool(1);  // and the caller: 2 threads
  auto transformer = Transformer::Create(&model, &pool, {32, 64});
  EXPECT_TRUE(transformer.ok()) << transformer.status();
  const ModelConfig& c = model.config();
  auto cache = KvCache::Create(
      KvCache::Options{c.n_layers, c.kv_dim(), 16, 64, kv_type, c.head_dim});
  EXPECT_TRUE(cache.ok()) << cache.status();
  SequenceKv seq;
  std::vector<std::vector<float>> out;
  std::vector<int32_t> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(3 + 13 * i);
  for (int step = 0; step < 4; ++step) {
    std::vector<BatchToken> batch;
    for (size_t k = 0; k < ids.size(); ++k) {
      batch.push_back({ids[k], static_cast<int32_t>(seq.length + k), 0,
                       k + 1 == ids.size()});
    }
    EXPECT_TRUE((*cache)->Reserve(seq, seq.length + ids.size()).ok());
    SequenceKv* seqs[] = {&seq};
    std::vector<float> logits(c.n_vocab);
    EXPECT_TRUE((*transformer)->Forward(batch, seqs, cache->get(),
                                        logits.data()).ok());
    out.push_back(logits);
    ids = {static_cast<int32_t>(7 + 31 * step)};
  }
  return out;
}

class WeightTypeTest : public ::testing::TestWithParam<GgmlType> {};

// Each weight type, used in place from the file, gives the logits of an
// F32 model holding the values it decodes to (up to the 8-bit activations
// of the integer types, and the bf16 activations of BF16 prompts on a set
// with a BF16 GEMM).
TEST_P(WeightTypeTest, LogitsMatchF32ModelWithTheSameValues) {
  const GgmlType type = GetParam();
  auto model = RandomModel(type, false).Build();
  ASSERT_TRUE(model.ok()) << model.status();
  auto reference = RandomModel(type, true).Build();
  ASSERT_TRUE(reference.ok()) << reference.status();
  const auto got = RunLogits(**model);
  const auto want = RunLogits(**reference);
  const bool bf16_activations = type == GgmlType::kBF16 &&
                                ActiveKernels().gemm_bf16_block != nullptr;
  const double relative =
      UsesQuantizedActivations(type) ? 0.03 : bf16_activations ? 0.015 : 1e-4;
  for (size_t step = 0; step < want.size(); ++step) {
    double span = 0, worst = 0;
    for (size_t i = 0; i < want[step].size(); ++i) {
      span = std::max(span, std::fabs(double{want[step][i]}));
      worst = std::max(worst,
                       std::fabs(double{got[step][i]} - want[step][i]));
    }
    EXPECT_GT(span, 1.0) << "logits too small to compare";
    EXPECT_LT(worst, relative * span)
        << TypeName(type) << " step " << step << " (max |logit| " << span
        << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, WeightTypeTest,
    ::testing::Values(GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                      GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ5_1,
                      GgmlType::kIQ4_NL, GgmlType::kQ4_K, GgmlType::kQ5_K,
                      GgmlType::kQ6_K),
    [](const ::testing::TestParamInfo<GgmlType>& info) {
      return TypeName(info.param);
    });

// Found by fuzz_gguf_file: a block count of billions made the load allocate
// the layer table first (tens of GB) and die. It is refused, naming the key.
TEST(ModelTest, BlockCountBeyondTheTensorsIsRefusedBeforeAllocating) {
  Spec s = Spec::Default();
  s.ints["block_count"] = 3000000000u;
  auto model = s.Build();
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("llama.block_count"));
  s.ints["block_count"] = 0;
  EXPECT_THAT(s.Build().status().message(), HasSubstr("block_count"));
}

TEST(ModelTest, MissingFileNamesThePath) {
  auto model = Model::Load("/nonexistent/x.gguf");
  EXPECT_THAT(model.status().message(), HasSubstr("/nonexistent/x.gguf"));
}

// The KV cache types on a model whose heads (128 values) Q8_0 can hold:
// logits of a prompt and three decode steps against the F32 cache's. F16
// keeps 11 significant bits of each key and value, Q8_0 about 8 (half a
// step of a block's largest value / 127). Measured worst errors, relative
// to the largest logit: F16 4.4e-4, Q8_0 1.9e-2 (this random-weight model's
// logits react strongly to its keys); the bounds leave 2.5-4.5x.
TEST(KvCacheTypeTest, F16AndQ8_0CachesStayCloseToF32) {
  auto model = RandomModel(GgmlType::kF32, false).Build();
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ((*model)->config().head_dim, 128);
  const auto want = RunLogits(**model, GgmlType::kF32);
  for (auto [type, relative] : {std::pair{GgmlType::kF16, 2e-3},
                                std::pair{GgmlType::kQ8_0, 5e-2}}) {
    const auto got = RunLogits(**model, type);
    for (size_t step = 0; step < want.size(); ++step) {
      double span = 0, worst = 0;
      for (size_t i = 0; i < want[step].size(); ++i) {
        span = std::max(span, std::fabs(double{want[step][i]}));
        worst = std::max(worst,
                         std::fabs(double{got[step][i]} - want[step][i]));
      }
      EXPECT_GT(worst, 0) << TypeName(type) << ": the cache type is not used";
      EXPECT_LT(worst, relative * span)
          << TypeName(type) << " step " << step << " (max |logit| " << span
          << ")";
    }
  }
}

}  // namespace
}  // namespace inferd::llm
