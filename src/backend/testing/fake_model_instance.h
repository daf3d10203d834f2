#pragma once

// A ModelInstance whose Execute() runs a function the test supplies, for
// scheduler, repository and handler tests that must not load real models.
//
// Also holds ready-made behaviours: AddSub (Triton's `simple` model: the sum
// and difference of two INT32 or FP32 inputs) and Echo (returns its inputs).
// Thread-compatible like any ModelInstance; calls() may be read from any
// thread.

#include <atomic>
#include <functional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/backend.h"
#include "tensor/tensor.h"

namespace inferd::testing {

class FakeModelInstance : public ModelInstance {
 public:
  using ExecuteFn = std::function<absl::StatusOr<std::vector<Tensor>>(
      const std::vector<Tensor>& inputs)>;

  explicit FakeModelInstance(ExecuteFn execute, int index = 0)
      : execute_(std::move(execute)), index_(index) {}

  absl::StatusOr<std::vector<Tensor>> Execute(
      const std::vector<Tensor>& inputs) override {
    calls_.fetch_add(1);
    return execute_(inputs);
  }

  int index() const { return index_; }
  int calls() const { return calls_.load(); }

 private:
  ExecuteFn execute_;
  const int index_;
  std::atomic<int> calls_{0};
};

// Returns the inputs unchanged.
inline absl::StatusOr<std::vector<Tensor>> Echo(
    const std::vector<Tensor>& inputs) {
  return inputs;
}

// OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1, elementwise, for two
// INT32 or two FP32 inputs of the same shape.
inline absl::StatusOr<std::vector<Tensor>> AddSub(
    const std::vector<Tensor>& inputs) {
  if (inputs.size() != 2 || inputs[0].dtype != inputs[1].dtype ||
      inputs[0].shape != inputs[1].shape) {
    return absl::InvalidArgumentError("AddSub needs two like inputs");
  }
  Tensor sum = inputs[0];
  Tensor difference = inputs[0];
  const int64_t n = inputs[0].element_count();
  if (inputs[0].dtype == DataType::kInt32) {
    for (int64_t i = 0; i < n; ++i) {
      const int32_t a = inputs[0].data_as<int32_t>()[i];
      const int32_t b = inputs[1].data_as<int32_t>()[i];
      sum.mutable_data_as<int32_t>()[i] = a + b;
      difference.mutable_data_as<int32_t>()[i] = a - b;
    }
  } else if (inputs[0].dtype == DataType::kFp32) {
    for (int64_t i = 0; i < n; ++i) {
      const float a = inputs[0].data_as<float>()[i];
      const float b = inputs[1].data_as<float>()[i];
      sum.mutable_data_as<float>()[i] = a + b;
      difference.mutable_data_as<float>()[i] = a - b;
    }
  } else {
    return absl::InvalidArgumentError("AddSub supports INT32 and FP32");
  }
  return std::vector<Tensor>{std::move(sum), std::move(difference)};
}

}  // namespace inferd::testing
