#pragma once

// Batched matrix products of GGUF weights with f32 activations, split over
// output rows across a thread pool: y[t][r] = w.row(r) . x[t] for every
// token t of the batch, with several weights that share the input (q, k and
// v) done in one parallel loop. Rows are decoded to f32 three at a time and
// multiplied with f32 activations in the register-blocked tile kernel, as
// Transformer's prompt path does: encoders always run whole texts, and f32
// activations (never 8-bit ones) keep a text's vector the same whether it
// runs alone or in a batch. The encoders (encoder.h) use it.
//
// Thread-safety: a MatMul object is used by one caller at a time (its
// scratch); the pool's ParallelFor rules apply.

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "backend/llm/kernels.h"
#include "backend/llm/model.h"
#include "common/thread_pool.h"

namespace inferd::llm {

// Rows [r_begin, r_end) of y = w . x for n_tokens tokens (y[t * w.rows +
// r]): rows decoded to f32 three at a time into `tile` (3 * w.cols floats)
// and multiplied in the 3x4 tile kernel. The compute-bound path of
// MatMul::Run and of Transformer's prompt chunks.
void TiledRows(const Weight& w, const float* x, int64_t n_tokens,
               int64_t r_begin, int64_t r_end, float* tile, float* y);

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
  std::vector<std::vector<float>> tiles_;  // per thread: 3 decoded rows
};

}  // namespace inferd::llm
