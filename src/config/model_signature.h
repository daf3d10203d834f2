#pragma once

// The tensor interface a model promises in its config: input and output
// names, datatypes, dims (with -1 wildcards), reshapes and the batch
// dimension. Checks inference requests against it before they reach a
// backend, so backends only see well-formed inputs in config order.
// Immutable after Create; thread-safe.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "config/model_config.pb.h"
#include "tensor/inference_request.h"

namespace inferd {

struct TensorSpec {
  std::string name;
  DataType dtype;
  Shape dims;                    // without the batch dimension
  std::optional<Shape> reshape;  // what the backend sees instead of dims
  bool optional = false;
};

class ModelSignature {
 public:
  static absl::StatusOr<ModelSignature> Create(const config::ModelConfig& config);

  int max_batch_size() const { return max_batch_size_; }
  bool batched() const { return max_batch_size_ > 0; }
  const std::vector<TensorSpec>& inputs() const { return inputs_; }
  const std::vector<TensorSpec>& outputs() const { return outputs_; }

  // The shape clients see in metadata: dims with a leading -1 when batched.
  Shape ClientShape(const TensorSpec& spec) const;

  // Validates `request` and puts its inputs in config order (a missing
  // optional input becomes an entry with an empty name). Returns the batch
  // size (1 when the model does not batch). Errors are InvalidArgument
  // naming the input.
  absl::StatusOr<int64_t> ValidateRequest(InferenceRequest& request) const;

  // Indices into outputs() selected by the request, in request order; all
  // outputs when the request names none. InvalidArgument for unknown names.
  absl::StatusOr<std::vector<size_t>> SelectOutputs(
      const InferenceRequest& request) const;

 private:
  int max_batch_size_ = 0;
  std::vector<TensorSpec> inputs_;
  std::vector<TensorSpec> outputs_;
};

}  // namespace inferd
