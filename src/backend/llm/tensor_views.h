#pragma once

// Views of a GGUF file's tensors as the forward passes use them: a 2-D
// weight matrix in its own encoding (Weight) or an F32 vector, after
// checking presence, type and shape. Errors name the tensor and what was
// expected, e.g. `tensor "blk.0.ffn_up.weight": shape [64, 96], expected
// [64, 128]`. Shared by the decoder (model.h) and the encoders
// (encoder_model.h).
//
// Thread-safety: pure functions; the file is only read.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "backend/llm/gguf_file.h"
#include "backend/llm/model.h"

namespace inferd::llm {

// Tensor `name` as a matrix of `rows` rows of `cols` values (rows <= 0:
// any number, e.g. n_vocab). Its type must be one the kernels multiply.
absl::Status MatrixView(const GgufFile& file, const std::string& name,
                        int64_t cols, int64_t rows, Weight* out);

// Tensor `name` as `n` F32 values.
absl::Status VectorView(const GgufFile& file, const std::string& name,
                        int64_t n, const float** out);

// "[a, b]" for messages.
std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace inferd::llm
