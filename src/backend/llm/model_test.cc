#include "backend/llm/model.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backend/llm/gguf_writer.h"
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
      w.AddTensorBytes(
          name, t.first, t.second,
          std::string(RowBytes(t.first, t.second[0]) * rows, '\0'));
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
                  s.tensors["blk.0.attn_q.weight"].first = GgmlType::kQ5_0;
                },
                "weight type Q5_0 is not supported"},
        BadCase{"NormNotF32",
                [](Spec& s) {
                  s.tensors["output_norm.weight"].first = GgmlType::kF16;
                },
                "tensor \"output_norm.weight\": expected F32 [32]"},
        BadCase{"UnsupportedRopeScaling",
                [](Spec& s) {
                  s.extra_strings.push_back("llama.rope.scaling.type=yarn");
                },
                "unsupported rope.scaling.type \"yarn\""},
        BadCase{"UnknownTokenizer", [](Spec& s) { s.tokenizer = "bert"; },
                "unsupported tokenizer.ggml.model \"bert\""}),
    [](const ::testing::TestParamInfo<BadCase>& info) {
      return std::string(info.param.name);
    });

TEST(ModelTest, MissingFileNamesThePath) {
  auto model = Model::Load("/nonexistent/x.gguf");
  EXPECT_THAT(model.status().message(), HasSubstr("/nonexistent/x.gguf"));
}

}  // namespace
}  // namespace inferd::llm
