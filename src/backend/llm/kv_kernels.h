#pragma once

// The KV cache's inner loops: rows stored as F32, F16 or Q8_0 (KvCache's
// element types), written from f32 and read by attention without a decoded
// copy. Each function forwards to the kernel set chosen for this CPU
// (kernel_set.h; the code is in kv_kernels_impl.inc). Pure functions:
// thread-safe.

#include <cstdint>

#include "backend/llm/ggml_type.h"

namespace inferd::llm {

// Writes x[0..n) as one row of `type` to `out` (RowBytes(type, n) bytes).
// Q8_0 needs n to be a multiple of 32.
void KvStore(GgmlType type, const float* x, int64_t n, void* out);

// out[r] = q . row r for r < n_rows, where row r (n values of `type`)
// starts at rows + r * stride bytes.
void KvDots(GgmlType type, const float* q, const uint8_t* rows, int64_t stride,
            int64_t n_rows, int64_t n, float* out);

// acc[i] += sum over r < n_rows of weights[r] * row r[i], rows as KvDots'.
void KvAccumulate(GgmlType type, const float* weights, const uint8_t* rows,
                  int64_t stride, int64_t n_rows, int64_t n, float* acc);

}  // namespace inferd::llm
