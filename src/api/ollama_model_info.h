#pragma once

// What Ollama's model routes (/api/tags, /api/show, /api/ps) say about a
// loaded model version, read from what it already holds: for a GGUF model
// its mapped file (size, modification time, architecture, metadata, tensor
// types), its chat template and its request defaults; for any other model
// its platform and task.
//
//   details     {"parent_model", "format", "family", "families",
//                "parameter_size", "quantization_level"}
//   digest      the hex SHA-256 of the file's path and modification time (a
//               stand-in for Ollama's content digest: it changes when the
//               file does, and costs no read of the weights)
//   model_info  the GGUF metadata keys whose values are scalars
//
// Pure functions of an immutable version; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "boost/json/object.hpp"
#include "repository/model_version.h"

namespace inferd::ollama {

struct ModelFacts {
  std::string format;              // "gguf", or the platform ("pytorch_libtorch")
  std::string family;              // the GGUF architecture, or the task
  std::string parameter_size;      // "8.0B", "137M"; "" when unknown
  std::string quantization_level;  // "Q4_K_M", "F32"; "" when unknown
  int64_t size = 0;                // bytes of the model file; 0 when unknown
  std::string digest;              // 64 hex digits
  absl::Time modified_at;          // the file's modification time
  int64_t context_length = 0;      // a language model's context; 0 otherwise
  bool completion = false;         // a language model
  bool embedding = false;          // a feature-extraction model
};

// `started` stands in for the modification time of a model without a file.
ModelFacts FactsOf(const ModelVersion& model, absl::Time started);

boost::json::object DetailsJson(const ModelFacts& facts);
// Ollama's capabilities list: "completion", "embedding".
boost::json::array Capabilities(const ModelFacts& facts);

// The GGUF metadata scalars (strings, numbers, booleans) by key; {} for a
// model without a GGUF file.
boost::json::object ModelInfo(const ModelVersion& model);

// The model's request defaults in Ollama's `parameters` form, one
// "name value" per line (num_ctx, num_predict, temperature, top_k, top_p,
// min_p, repeat_penalty); "" for a model that does not generate.
std::string Parameters(const ModelVersion& model);

// The chat template's source; "" when the model has none.
std::string Template(const ModelVersion& model);

// A Modelfile that describes the model: FROM the file, its TEMPLATE and
// PARAMETERs.
std::string Modelfile(const ModelVersion& model);

// "8.0B", "137M", "25K": a count the way Ollama prints parameter counts.
std::string HumanCount(uint64_t count);

// RFC 3339 in UTC with nanoseconds, as Ollama writes times.
std::string Timestamp(absl::Time time);

}  // namespace inferd::ollama
