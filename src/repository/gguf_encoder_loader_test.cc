#include "repository/gguf_encoder_loader.h"

#include <string>

#include "config/model_config_loader.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

constexpr char kBert[] = "tests/data/llm/tiny-bert-f32.gguf";
constexpr char kNomic[] = "tests/data/llm/tiny-nomic-bert-f32.gguf";
constexpr char kLlama[] = "tests/data/llm/tiny-llama-f32.gguf";

// The config of a GGUF model folder without tensors, completed as the
// repository completes it.
config::ModelConfig GgufConfig(std::initializer_list<std::pair<const char*, const char*>> params) {
  config::ModelConfig config;
  config.set_name("m");
  config.set_backend("gguf");
  for (const auto& [key, value] : params) {
    (*config.mutable_parameters())[key].set_string_value(value);
  }
  EXPECT_TRUE(CompleteModelConfig("m", config).ok());
  return config;
}

std::string Parameter(const config::ModelConfig& config, const std::string& key) {
  auto it = config.parameters().find(key);
  return it == config.parameters().end() ? "" : it->second.string_value();
}

TEST(GgufEncoderLoaderTest, ALanguageModelIsNotAnEncoder) {
  auto encoder = LoadGgufEncoder(kLlama, GgufConfig({}));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_FALSE(encoder->has_value());
}

TEST(GgufEncoderLoaderTest, EffectiveConfigIsAFeatureExtractionModel) {
  auto encoder = LoadGgufEncoder(kBert, GgufConfig({}));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ASSERT_TRUE(encoder->has_value());
  const config::ModelConfig& c = (*encoder)->config;
  ASSERT_EQ(c.input_size(), 2);
  EXPECT_EQ(c.input(0).name(), "input_ids");
  EXPECT_EQ(c.input(1).name(), "attention_mask");
  ASSERT_EQ(c.output_size(), 1);
  EXPECT_EQ(c.output(0).name(), "last_hidden_state");
  EXPECT_EQ(c.output(0).dims(1), 32);
  EXPECT_EQ(c.max_batch_size(), 32);
  EXPECT_TRUE(c.has_dynamic_batching());
  EXPECT_EQ(Parameter(c, "task"), "feature-extraction");
  EXPECT_EQ(Parameter(c, "pooling"), "cls");  // bert.pooling_type 2
  EXPECT_EQ(Parameter(c, "normalize"), "true");
  EXPECT_EQ(Parameter(c, "max_length"), "40");  // bert.context_length
  EXPECT_EQ(CreateGgufEncoderInstances(**encoder).size(), 1u);
}

TEST(GgufEncoderLoaderTest, TheConfigsParametersWin) {
  auto encoder = LoadGgufEncoder(
      kNomic, GgufConfig({{"pooling", "cls"}, {"normalize", "false"}, {"max_length", "16"}}));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  const config::ModelConfig& c = (*encoder)->config;
  EXPECT_EQ(Parameter(c, "pooling"), "cls");
  EXPECT_EQ(Parameter(c, "normalize"), "false");
  EXPECT_EQ(Parameter(c, "max_length"), "16");
  encoder = LoadGgufEncoder(kNomic, GgufConfig({}));
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ(Parameter((*encoder)->config, "pooling"), "mean");  // nomic-bert.pooling_type 1
}

TEST(GgufEncoderLoaderTest, RefusesSettingsThatCannotWork) {
  auto encoder = LoadGgufEncoder(kBert, GgufConfig({{"max_length", "41"}}));
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("max_length"), std::string::npos);
  encoder = LoadGgufEncoder(kBert, GgufConfig({{"task", "text-classification"}}));
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("task"), std::string::npos);
  encoder = LoadGgufEncoder(kBert, GgufConfig({{"threads", "-1"}}));
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("threads"), std::string::npos);

  config::ModelConfig declared = GgufConfig({});
  declared.mutable_input(0)->set_name("text");
  encoder = LoadGgufEncoder(kBert, declared);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("input_ids"), std::string::npos);
}

}  // namespace
}  // namespace inferd
