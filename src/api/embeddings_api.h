#pragma once

// OpenAI-compatible embeddings, answered by feature-extraction models
// (pipelines/task/feature_extraction.h):
//
//   POST /v1/embeddings
//   {"model": "embedder", "input": "text" | ["text", ...] | [ids] | [[ids], ...],
//    "encoding_format": "float" | "base64", "dimensions": n, "user": "..."}
//   -> {"object": "list", "model": "embedder",
//       "data": [{"object": "embedding", "index": 0, "embedding": [...]}],
//       "usage": {"prompt_tokens": n, "total_tokens": n}}
//
// Errors use OpenAI's shape, {"error": {"message", "type", "param", "code"}}:
// 400 for a malformed request (param names the field), 404 for an unknown
// model, 400 for a model whose task is not feature-extraction. A request is
// all or nothing: one bad input fails it, naming the input's index.
// `dimensions` keeps the first n values (re-normalised when the model
// normalises), as OpenAI's shortened embeddings do; base64 is the
// little-endian float32 bytes. Token counts include special tokens.
//
// Parsing and preprocessing run on the task pool, the model on its
// scheduler; never on the I/O thread. Thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/api_context.h"
#include "boost/json.hpp"
#include "common/thread_pool.h"
#include "http/route_table.h"
#include "serving/task_runner.h"

namespace inferd {

namespace pipelines {
class FeatureExtraction;
}  // namespace pipelines

// A validated request. `inputs` point into `body`.
struct EmbeddingsRequest {
  std::shared_ptr<const boost::json::value> body;
  std::string model;
  std::vector<const boost::json::value*> inputs;  // a string or a token id list each
  bool base64 = false;
  std::optional<int64_t> dimensions;
};

// The most inputs one embeddings request may carry (OpenAI's limit), on
// every embeddings route: /v1/embeddings and Ollama's /api/embed.
inline constexpr size_t kMaxEmbeddingInputs = 2048;

// An error in OpenAI's shape.
struct OpenAiError {
  int status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::optional<std::string> param;
  std::optional<std::string> code;
};

// Validates against the OpenAI CreateEmbeddingRequest schema (unknown
// fields are errors, as its additionalProperties: false says).
// `max_inputs`: the most inputs in one request (OpenAI: 2048).
absl::StatusOr<EmbeddingsRequest> ParseEmbeddingsRequest(std::string_view body,
                                                         size_t max_inputs,
                                                         OpenAiError* error);

// One embedding per input, in input order.
std::string EncodeEmbeddingsResponse(const std::string& model,
                                     const std::vector<std::vector<float>>& embeddings,
                                     bool base64, int64_t prompt_tokens);

// Keeps the first `dimensions` values; re-normalises when `normalize`.
void ShortenEmbedding(std::vector<float>& embedding, size_t dimensions, bool normalize);

HttpResponse OpenAiErrorResponse(const OpenAiError& error);

// What the embeddings routes (OpenAI's and Ollama's) share: the model's
// feature-extraction pipeline, and the vectors of a finished task.

// The feature-extraction pipeline of `model`: InvalidArgument (saying that
// `route` needs task "feature-extraction") for a model with another task or
// none; InvalidArgument naming "dimensions" when `dimensions` exceeds the
// model's.
absl::StatusOr<const pipelines::FeatureExtraction*> EmbeddingPipeline(
    const ModelVersion& model, std::string_view route, std::optional<int64_t> dimensions);

struct EmbeddingVectors {
  std::vector<std::vector<float>> vectors;  // one per input, in input order
  int64_t tokens = 0;                       // special tokens included
};
// The vectors of `outcome`, each shortened to `dimensions` (re-normalised
// when `normalize`). When an input failed: its error, and `*failed_input`
// is its index.
absl::StatusOr<EmbeddingVectors> EmbeddingVectorsOf(const TaskOutcome& outcome,
                                                    std::optional<int64_t> dimensions,
                                                    bool normalize, size_t* failed_input);

class EmbeddingsApi {
 public:
  struct Options {
    ThreadPool* pool = nullptr;  // not owned: parsing, preprocessing, responses
    size_t max_inputs = kMaxEmbeddingInputs;
  };

  EmbeddingsApi(const ApiContext* context, Options options)
      : context_(context), options_(options) {}

  void Embeddings(HttpRequest&& request, Responder respond) const;

 private:
  const ApiContext* context_;
  const Options options_;
};

}  // namespace inferd
