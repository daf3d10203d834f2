#pragma once

// The BYTES output of a TorchScript model as a Tensor with the shape its
// config declares.
//
// A model returns a BYTES output as a List[str] (flat, row-major) or as
// nested lists of str whose nesting is the shape. A flat list takes the
// declared shape: the batch rows of the request and the config dims, a
// single -1 computed from the number of strings; with several -1, the shape
// of an input holding as many elements (an element-wise model).
// Stateless; safe from any thread.

#include <string>
#include <vector>

#include <ATen/core/ivalue.h>

#include "absl/status/statusor.h"
#include "tensor/tensor.h"

namespace inferd {

// `declared` is the output's shape as a client sees it (batch dimension
// first when `batched`, -1 for wildcards); `inputs` are the request's. An
// Internal error naming output `name` when the value is not strings or does
// not fit the declared shape (the model broke its config).
absl::StatusOr<Tensor> StringOutput(const c10::IValue& value, const std::string& name,
                                    const Shape& declared, bool batched,
                                    const std::vector<Tensor>& inputs);

}  // namespace inferd
