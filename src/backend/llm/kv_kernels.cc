#include "backend/llm/kv_kernels.h"

#include "backend/llm/kernel_set.h"

namespace inferd::llm {

void KvStore(GgmlType type, const float* x, int64_t n, void* out) {
  ActiveKernels().kv_store(type, x, n, out);
}

void KvDots(GgmlType type, const float* q, const uint8_t* rows, int64_t stride,
            int64_t n_rows, int64_t n, float* out) {
  ActiveKernels().kv_dots(type, q, rows, stride, n_rows, n, out);
}

void KvAccumulate(GgmlType type, const float* weights, const uint8_t* rows,
                  int64_t stride, int64_t n_rows, int64_t n, float* acc) {
  ActiveKernels().kv_accumulate(type, weights, rows, stride, n_rows, n, acc);
}

}  // namespace inferd::llm
