#pragma once

// Runs a model's `model_warmup` samples (Triton config) on an instance
// before the version is marked READY, so the first real request does not
// pay for lazy initialisation.

#include <string>

#include "absl/status/status.h"
#include "backend/backend.h"

namespace inferd {

// Runs every warmup sample `count` times on `instance`. Inputs are zeros,
// random values (fixed seed) or raw bytes from MODEL_DIR/warmup/<file>.
// InvalidArgument naming the sample when it is malformed or the model fails.
absl::Status RunWarmup(const config::ModelConfig& config, const std::string& model_dir,
                       ModelInstance& instance);

}  // namespace inferd
