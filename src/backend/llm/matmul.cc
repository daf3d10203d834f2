#include "backend/llm/matmul.h"

#include <algorithm>

namespace inferd::llm {

MatMul::MatMul(ThreadPool* pool)
    : pool_(pool), gemm_(pool->parallelism()) {}

void MatMul::Run(std::initializer_list<Out> outs, const float* x,
                 int64_t n_tokens) {
  if (n_tokens <= 0) return;
  gemm_.Pack(x, n_tokens, outs.begin()->w->cols);
  // Register blocks of rows of all weights, numbered consecutively, split
  // into tasks.
  const int64_t block = gemm_.row_block();
  int64_t groups = 0;
  for (const Out& o : outs) groups += (o.w->rows + block - 1) / block;
  const int64_t tasks =
      std::min<int64_t>(groups, static_cast<int64_t>(pool_->parallelism()) * 8);
  auto body = [&](int task, int thread) {
    const int64_t g0 = groups * task / tasks;
    const int64_t g1 = groups * (task + 1) / tasks;
    int64_t offset = 0;
    for (const Out& o : outs) {
      const int64_t own = (o.w->rows + block - 1) / block;
      const int64_t a = std::max(g0, offset);
      const int64_t b = std::min(g1, offset + own);
      if (a < b) {
        gemm_.Rows(*o.w, (a - offset) * block,
                   std::min(o.w->rows, (b - offset) * block), thread, o.y);
      }
      offset += own;
    }
  };
  pool_->ParallelFor(static_cast<int>(tasks), body);
}

}  // namespace inferd::llm
