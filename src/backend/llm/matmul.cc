#include "backend/llm/matmul.h"

#include <algorithm>

namespace inferd::llm {

void TiledRows(const Weight& w, const float* x, int64_t n_tokens,
               int64_t r_begin, int64_t r_end, float* tile, float* y) {
  const int64_t n = w.cols;
  const int64_t rows = w.rows;
  int64_t r = r_begin;
  for (; r + 3 <= r_end; r += 3) {
    const float* wt;
    if (w.type == GgmlType::kF32) {
      wt = reinterpret_cast<const float*>(w.row(r));
    } else {
      for (int k = 0; k < 3; ++k) {
        DequantizeRow(w.type, w.row(r + k), n, tile + k * n);
      }
      wt = tile;
    }
    int64_t t = 0;
    float out[3][4];
    for (; t + 4 <= n_tokens; t += 4) {
      DotTile3x4(wt, x + t * n, n, out);
      for (int a = 0; a < 3; ++a) {
        for (int b = 0; b < 4; ++b) y[(t + b) * rows + r + a] = out[a][b];
      }
    }
    for (; t < n_tokens; ++t) {
      for (int a = 0; a < 3; ++a) {
        y[t * rows + r + a] = DotF32(wt + a * n, x + t * n, n);
      }
    }
  }
  for (; r < r_end; ++r) {
    DequantizeRow(w.type, w.row(r), n, tile);
    for (int64_t t = 0; t < n_tokens; ++t) {
      y[t * rows + r] = DotF32(tile, x + t * n, n);
    }
  }
}

MatMul::MatMul(ThreadPool* pool)
    : pool_(pool), tiles_(static_cast<size_t>(pool->parallelism())) {}

void MatMul::Run(std::initializer_list<Out> outs, const float* x,
                 int64_t n_tokens) {
  if (n_tokens <= 0) return;
  const int64_t n = outs.begin()->w->cols;
  for (auto& tile : tiles_) {
    if (static_cast<int64_t>(tile.size()) < 3 * n) tile.resize(3 * n);
  }
  // Row triples of all weights, numbered consecutively, split into tasks.
  int64_t groups = 0;
  for (const Out& o : outs) groups += (o.w->rows + 2) / 3;
  const int64_t tasks =
      std::min<int64_t>(groups, static_cast<int64_t>(pool_->parallelism()) * 8);
  auto rows_of = [&](const Weight& w, float* y, int64_t r_begin, int64_t r_end,
                     int thread) {
    TiledRows(w, x, n_tokens, r_begin, r_end, tiles_[thread].data(), y);
  };
  auto body = [&](int task, int thread) {
    const int64_t g0 = groups * task / tasks;
    const int64_t g1 = groups * (task + 1) / tasks;
    int64_t offset = 0;
    for (const Out& o : outs) {
      const int64_t own = (o.w->rows + 2) / 3;
      const int64_t a = std::max(g0, offset);
      const int64_t b = std::min(g1, offset + own);
      if (a < b) {
        rows_of(*o.w, o.y, (a - offset) * 3,
                std::min(o.w->rows, (b - offset) * 3), thread);
      }
      offset += own;
    }
  };
  pool_->ParallelFor(static_cast<int>(tasks), body);
}

}  // namespace inferd::llm
