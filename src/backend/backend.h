#pragma once

// The seam between the server and the code that runs a model.
//
// A Backend turns a model version on disk into ModelInstances; each instance
// is driven by exactly one executor thread, so an instance need not be
// thread-safe. Backends are registered by name in a BackendRegistry.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model_config.pb.h"
#include "config/model_signature.h"
#include "tensor/tensor.h"

namespace inferd {

// What a backend needs to load one instance of a model version.
struct ModelLoadContext {
  const config::ModelConfig* config = nullptr;    // complete and validated
  const ModelSignature* signature = nullptr;
  std::string version_dir;                        // .../model/1
  int instance_index = 0;                         // 0..count-1
};

class ModelInstance {
 public:
  virtual ~ModelInstance() = default;

  // Runs the model once. `inputs` are in config order and already validated
  // against the signature (an absent optional input has an empty shape and
  // no data); when the model batches, dim 0 is the batch. Returns every
  // config output, in config order, with the batch dimension when batched.
  // Errors describe what went wrong inside the model.
  virtual absl::StatusOr<std::vector<Tensor>> Execute(
      const std::vector<Tensor>& inputs) = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Loads one instance. Errors name the problem in the user's terms (file
  // missing, unreadable, disagreeing with the config).
  virtual absl::StatusOr<std::unique_ptr<ModelInstance>> CreateInstance(
      const ModelLoadContext& context) = 0;
};

// Maps a config's platform/backend to a Backend. Fill it before serving;
// lookups afterwards are read-only and thread-safe.
class BackendRegistry {
 public:
  // `names` are the platform and backend strings that select this backend.
  void Register(std::vector<std::string> names, std::shared_ptr<Backend> backend);

  // NotFound naming the platform/backend when nothing matches.
  absl::StatusOr<std::shared_ptr<Backend>> Find(
      const config::ModelConfig& config) const;

 private:
  std::vector<std::pair<std::string, std::shared_ptr<Backend>>> backends_;
};

}  // namespace inferd
