#include "scheduling/gguf_settings.h"

#include <string>

#include "gtest/gtest.h"

namespace inferd {
namespace {

config::ModelConfig WithParameter(const std::string& key, const std::string& value) {
  config::ModelConfig config;
  (*config.mutable_parameters())[key].set_string_value(value);
  return config;
}

TEST(GgufSettingsTest, ReadsEveryParameter) {
  config::ModelConfig config;
  auto& p = *config.mutable_parameters();
  p["context_length"].set_string_value("256");
  p["max_sequences"].set_string_value("4");
  p["max_batch_tokens"].set_string_value("64");
  p["kv_cache_bytes"].set_string_value("1048576");
  p["kv_cache_type"].set_string_value("q8_0");
  p["threads"].set_string_value("2");
  p["temperature"].set_string_value("0");
  p["top_p"].set_string_value("0.5");
  p["top_k"].set_string_value("7");
  p["max_tokens"].set_string_value("9");
  p["prefix_cache"].set_string_value("false");
  p["priority_levels"].set_string_value("3");
  p["default_priority_level"].set_string_value("2");
  p["timeout_seconds"].set_string_value("1.5");
  absl::StatusOr<GgufSettings> s = GgufSettingsFromConfig(config);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->engine.max_context, 256);
  EXPECT_EQ(s->engine.max_sequences, 4);
  EXPECT_EQ(s->engine.max_batch_tokens, 64);
  EXPECT_EQ(s->kv_cache_bytes, 1048576);
  EXPECT_EQ(s->engine.kv_type, llm::GgmlType::kQ8_0);
  EXPECT_EQ(s->engine.threads, 2);
  EXPECT_EQ(s->sampling.temperature, 0.0f);
  EXPECT_EQ(s->sampling.top_p, 0.5f);
  EXPECT_EQ(s->sampling.top_k, 7);
  EXPECT_EQ(s->max_tokens, 9);
  EXPECT_FALSE(s->engine.prefix_cache);
  EXPECT_EQ(s->priority_levels, 3u);
  EXPECT_EQ(s->default_priority_level, 2u);
  EXPECT_DOUBLE_EQ(s->timeout_seconds, 1.5);
}

TEST(GgufSettingsTest, PrefixCacheIsOnByDefault) {
  absl::StatusOr<GgufSettings> s = GgufSettingsFromConfig(config::ModelConfig());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->engine.prefix_cache);
  EXPECT_EQ(s->engine.kv_type, llm::GgmlType::kF16);  // the KV cache's default
  s = GgufSettingsFromConfig(WithParameter("prefix_cache", "true"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->engine.prefix_cache);
}

TEST(GgufSettingsTest, BadValuesNameTheParameter) {
  const std::pair<const char*, const char*> bad[] = {
      {"context_length", "-1"}, {"context_length", "big"}, {"max_sequences", "0"}, {"max_batch_tokens", "0"},
      {"kv_cache_bytes", "-5"}, {"threads", "x"},          {"temperature", "-1"},
      {"temperature", "nan"},   {"top_p", "0"},            {"top_p", "1.5"},
      {"top_k", "-2"},          {"max_tokens", "0"},      {"prefix_cache", "yes"},
      {"prefix_cache", ""},     {"prefix_cache", "1"},     {"priority_levels", "1001"},
      {"default_priority_level", "2"},  // above the one level there is
      {"timeout_seconds", "-1"},        {"timeout_seconds", "soon"},
      {"kv_cache_type", "q4_0"},        {"kv_cache_type", "F16"},
      {"kv_cache_type", ""},
  };
  for (const auto& [key, value] : bad) {
    absl::StatusOr<GgufSettings> s = GgufSettingsFromConfig(WithParameter(key, value));
    ASSERT_FALSE(s.ok()) << key << "=" << value;
    EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
    EXPECT_NE(std::string(s.status().message()).find(key), std::string::npos)
        << s.status();
  }
}

}  // namespace
}  // namespace inferd
