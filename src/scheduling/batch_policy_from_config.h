#pragma once

// Turns a model's dynamic_batching config (Triton fields) into the
// model-free BatchPolicy the batcher uses, validating it.

#include "absl/status/statusor.h"
#include "batching/batch_policy.h"
#include "config/model_config.pb.h"

namespace inferd {

// InvalidArgument naming the field for inconsistent settings (a preferred
// size above max_batch_size, a default priority outside the levels, ...).
absl::StatusOr<BatchPolicy> BatchPolicyFromConfig(const config::ModelConfig& config);

}  // namespace inferd
