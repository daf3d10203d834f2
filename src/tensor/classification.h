#pragma once

// Triton's classification extension: an output requested with
// `"parameters": {"classification": k}` is answered as its top k classes,
// BYTES strings "score:index" or "score:index:label".
//
// Scores print as Triton prints them (std::to_string: integers as they are,
// floating point with six decimals); ties keep the lower index first.
// Stateless; safe to call from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tensor/tensor.h"

namespace inferd {

// The top `k` (at most the number of classes) of `scores` per batch row when
// `batched` (shape [rows, k]), of the whole tensor otherwise (shape [k]).
// `labels`, when not empty, name the classes by index; an index past them
// has no label. InvalidArgument naming `output` for a BYTES tensor.
absl::StatusOr<Tensor> Classify(const Tensor& scores, uint32_t k, bool batched,
                                const std::vector<std::string>& labels, std::string_view output);

}  // namespace inferd
