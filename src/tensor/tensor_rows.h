#pragma once

// Joining requests into one batch tensor along dimension 0, and splitting a
// batch output back into per-request tensors.

#include <vector>

#include "absl/status/statusor.h"
#include "tensor/tensor.h"

namespace inferd {

// Concatenates along dim 0. All parts share dtype and the shape past dim 0
// (the caller batched only compatible requests).
Tensor ConcatRows(const std::vector<const Tensor*>& parts);

// Splits `batch` along dim 0 into pieces of `rows[i]` rows each.
// FailedPrecondition when dim 0 does not equal the sum of `rows`.
absl::StatusOr<std::vector<Tensor>> SplitRows(const Tensor& batch,
                                              const std::vector<int64_t>& rows);

}  // namespace inferd
