#pragma once

// Loads a GGUF file whose architecture is an encoder (bert, nomic-bert:
// backend/llm/encoder_model.h) as an embedding model: the feature-extraction
// task over GgufEncoderInstance, so /v1/embeddings, /api/embed and
// /v1/models/{m}:predict serve it like a TorchScript embedder, batched by
// the dynamic batcher. Language-model GGUFs are LoadGguf's.
//
// The effective config, from the user's config.pbtxt (or none, for
// `--model FILE.gguf`):
//   input input_ids, attention_mask (TYPE_INT64, dims [ -1 ]); output
//   last_hidden_state (TYPE_FP32, dims [ -1, D ]); a config that declares
//   other tensors is refused.
//   max_batch_size 32 and dynamic_batching {} unless the config sets them.
//   parameters: task "feature-extraction"; pooling from the file's
//   {arch}.pooling_type (mean or cls); normalize "true" (unit vectors, as
//   OpenAI's and Ollama's embeddings are); max_length the model's
//   context_length (texts are truncated to it); threads, compute threads
//   per instance (0: every hardware thread). Any of these the config sets
//   wins; max_length may not exceed the context length.
//
// Stateless; thread-safe.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/backend.h"
#include "backend/llm/encoder_model.h"
#include "config/model_config.pb.h"

namespace inferd {

struct GgufEncoder {
  std::shared_ptr<const llm::EncoderModel> model;
  config::ModelConfig config;  // effective
  int threads = 0;             // per instance; 0: hardware threads
};

// nullopt when `path` holds a decoder (a language model); errors name the
// file and the metadata, tensor or parameter that is wrong.
absl::StatusOr<std::optional<GgufEncoder>> LoadGgufEncoder(const std::string& path,
                                                           const config::ModelConfig& config);

// One instance per instance_group count of the effective config.
std::vector<std::unique_ptr<ModelInstance>> CreateGgufEncoderInstances(
    const GgufEncoder& encoder);

}  // namespace inferd
