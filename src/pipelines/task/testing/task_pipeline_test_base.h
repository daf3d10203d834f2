#pragma once

// What the task unit tests share: a temporary model folder to put assets in
// (tokenizer.json, labels), pipelines built through the builtin registry
// from config.pbtxt text, JSON instances, and a small BERT-style WordPiece
// tokenizer.json. Header-only; for tests.

#include <memory>
#include <string>
#include <vector>

#include "backend/testing/temp_model_repository.h"
#include "boost/json.hpp"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "pipelines/task/builtin_tasks.h"
#include "pipelines/task/task_pipeline.h"
#include "pipelines/task/task_registry.h"

namespace inferd::pipelines {

class TaskPipelineTestBase : public ::testing::Test {
 protected:
  void SetUp() override { RegisterBuiltinTasks(registry_); }

  // Writes `name` into the model folder.
  void WriteAsset(const std::string& name, const std::string& contents) {
    repo_.WriteFile("m/" + name, contents);
  }

  // The task pipeline of the model that `config_text` (config.pbtxt) describes.
  absl::StatusOr<std::unique_ptr<TaskPipeline>> BuildFrom(const std::string& config_text) {
    config::ModelConfig config;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(config_text, &config))
        << config_text;
    absl::StatusOr<ModelSignature> signature = ModelSignature::Create(config);
    EXPECT_TRUE(signature.ok()) << signature.status();
    if (signature.ok()) signature_ = *std::move(signature);
    return registry_.Create(TaskContext{&config, &signature_, repo_.root() + "/m"});
  }

  inferd::testing::TempModelRepository repo_;
  TaskRegistry registry_;
  ModelSignature signature_ = *ModelSignature::Create(config::ModelConfig());
};

// An instance pointing at `value` (which must outlive it).
inline TaskInstance JsonInstance(const boost::json::value* value) {
  TaskInstance instance;
  instance.json = value;
  return instance;
}

// A BERT-style WordPiece tokenizer.json: [PAD] [UNK] [CLS] [SEP] are ids 0-3,
// then `words` from id 4 in order ("##" marks continuations).
inline std::string WordPieceTokenizerJson(const std::vector<std::string>& words,
                                          bool lowercase) {
  boost::json::object vocab{{"[PAD]", 0}, {"[UNK]", 1}, {"[CLS]", 2}, {"[SEP]", 3}};
  for (size_t i = 0; i < words.size(); ++i) vocab[words[i]] = 4 + i;
  boost::json::array added;
  const char* specials[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
  for (int id = 0; id < 4; ++id) {
    added.push_back({{"id", id}, {"content", specials[id]}, {"single_word", false},
                     {"lstrip", false}, {"rstrip", false}, {"normalized", false},
                     {"special", true}});
  }
  boost::json::object tokenizer{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", std::move(added)},
      {"normalizer", {{"type", "BertNormalizer"}, {"clean_text", true},
                      {"handle_chinese_chars", true}, {"strip_accents", nullptr},
                      {"lowercase", lowercase}}},
      {"pre_tokenizer", {{"type", "BertPreTokenizer"}}},
      {"post_processor", {{"type", "BertProcessing"},
                          {"sep", boost::json::array{"[SEP]", 3}},
                          {"cls", boost::json::array{"[CLS]", 2}}}},
      {"decoder", {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"model", {{"type", "WordPiece"}, {"unk_token", "[UNK]"},
                 {"continuing_subword_prefix", "##"}, {"max_input_chars_per_word", 100},
                 {"vocab", std::move(vocab)}}},
  };
  return boost::json::serialize(tokenizer);
}

}  // namespace inferd::pipelines
