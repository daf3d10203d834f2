#pragma once

// Reads a model's config.pbtxt (Triton ModelConfig text format), fills in
// Triton's defaults and validates it, so the rest of the server sees one
// complete, consistent config. Also renders the effective config as JSON for
// GET /v2/models/{m}/config. Stateless; thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "config/model_config.pb.h"
#include "tensor/data_type.h"

namespace inferd {

// Parses config text. Errors name the file, line and column and, for an
// unknown field, the field.
absl::StatusOr<config::ModelConfig> ParseModelConfig(std::string_view text,
                                                     std::string_view source);

// Applies defaults and validates. `model_name` is the repository folder
// name: the config's `name` must be empty or equal to it.
absl::Status CompleteModelConfig(std::string_view model_name,
                                 config::ModelConfig& config);

// Reads DIR/config.pbtxt, then parses and completes it.
absl::StatusOr<config::ModelConfig> LoadModelConfig(const std::string& model_dir,
                                                    std::string_view model_name);

// The config as JSON with Triton's snake_case field names; numbers stay JSON
// numbers (protobuf's own JSON mapping would quote 64-bit integers).
std::string ModelConfigToJson(const config::ModelConfig& config);

// TYPE_INT32 -> kInt32, TYPE_STRING -> kBytes; nullopt for TYPE_INVALID.
std::optional<DataType> FromConfigDataType(config::DataType type);

}  // namespace inferd
