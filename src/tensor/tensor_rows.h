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

// Concatenates along dim 0 parts whose dimensions past dim 0 may differ
// (same rank and dtype): each part is padded at the end of every such
// dimension to the largest among `parts`, with `pad_value` converted to the
// dtype ("dynamic padding": sequences padded to the longest in the batch).
// InvalidArgument for mixed dtypes or ranks, or BYTES.
absl::StatusOr<Tensor> ConcatRowsPadded(const std::vector<const Tensor*>& parts,
                                        double pad_value);

// `tensor` padded at the end of its dimensions past dim 0 up to `shape`
// (same rank, every dimension at least the tensor's), filled with
// `pad_value`. Fixed-size dtypes only.
Tensor PadRows(const Tensor& tensor, const Shape& shape, double pad_value);

// The first `extent[d]` entries of every dimension d past dim 0 (undoes
// PadRows). Fixed-size dtypes only; extents must not exceed the shape.
Tensor TrimRows(const Tensor& tensor, const Shape& extent);

// Splits `batch` along dim 0 into pieces of `rows[i]` rows each.
// Internal (the model broke its config) when dim 0 does not equal the sum
// of `rows`.
absl::StatusOr<std::vector<Tensor>> SplitRows(const Tensor& batch,
                                              const std::vector<int64_t>& rows);

}  // namespace inferd
