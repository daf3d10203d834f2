#pragma once

// Round-to-nearest quantisers for every weight type the engine reads: they
// write GGUF blocks (ggml's layouts, ggml_type.h) from f32 values, so tests
// and the benchmark model generator can make files of any type. Simple
// per-block scales, no error-minimising search: good enough to test and
// benchmark with, not to ship models. Pure functions: thread-safe.

#include <cstdint>
#include <string>

#include "backend/llm/ggml_type.h"

namespace inferd::llm {

// Whether Quantize() writes `type`.
bool CanQuantize(GgmlType type);

// x[0..n) as one row of `type` (RowBytes(type, n) bytes); n must be a
// multiple of the type's block size.
std::string Quantize(GgmlType type, const float* x, int64_t n);

}  // namespace inferd::llm
