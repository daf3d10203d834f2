#pragma once

// Batched matrix products of GGUF weights with f32 activations, split over
// output rows across a thread pool: y[t][r] = w.row(r) . x[t] for every
// token t of the batch, with several weights that share the input (q, k and
// v) done in one parallel loop. Every product runs in the blocked GEMM
// (gemm.h), as Transformer's prompt path does: encoders always run whole
// texts, and f32 activations (never 8-bit ones) keep a text's vector the
// same whether it runs alone or in a batch. The encoders (encoder.h) use it.
//
// Thread-safety: a MatMul object is used by one caller at a time (its
// scratch); the pool's ParallelFor rules apply.

#include <cstdint>
#include <initializer_list>

#include "backend/llm/gemm.h"
#include "backend/llm/model.h"
#include "common/thread_pool.h"

namespace inferd::llm {

class MatMul {
 public:
  struct Out {
    const Weight* w;
    float* y;  // [n_tokens x w->rows]
  };

  // `pool` is not owned and must outlive this object.
  explicit MatMul(ThreadPool* pool);

  // For each output: y[t * rows + r] = w.row(r) . x[t * cols ...] for
  // t < n_tokens. All weights have the same row length (cols).
  void Run(std::initializer_list<Out> outs, const float* x, int64_t n_tokens);

 private:
  ThreadPool* pool_;
  Gemm gemm_;
};

}  // namespace inferd::llm
