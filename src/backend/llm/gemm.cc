#include "backend/llm/gemm.h"

#include <algorithm>
#include <cstring>

namespace inferd::llm {

Gemm::Gemm(int threads, const KernelSet& kernels)
    : kernels_(&kernels), scratch_(static_cast<size_t>(threads)) {}

void Gemm::Pack(const float* x, int64_t n_tokens, int64_t n) {
  const int64_t lanes = kernels_->gemm_lanes;
  n_tokens_ = n_tokens;
  n_ = n;
  panels_ = (n_tokens + lanes - 1) / lanes;
  const auto size = static_cast<size_t>(panels_ * n * lanes);
  if (packed_.size() < size) packed_.resize(size);
  for (int64_t j = 0; j < panels_; ++j) {
    float* panel = packed_.data() + j * n * lanes;
    const int64_t here = std::min(lanes, n_tokens - j * lanes);
    for (int64_t l = 0; l < lanes; ++l) {
      if (l >= here) {
        for (int64_t k = 0; k < n; ++k) panel[k * lanes + l] = 0;
        continue;
      }
      const float* src = x + (j * lanes + l) * n;
      for (int64_t k = 0; k < n; ++k) panel[k * lanes + l] = src[k];
    }
  }
}

void Gemm::Rows(const Weight& w, int64_t r_begin, int64_t r_end, int thread,
                float* y) {
  const int64_t mr = kernels_->gemm_rows;
  const int64_t lanes = kernels_->gemm_lanes;
  const int64_t n = n_;
  const int64_t tokens = panels_ * lanes;  // padded
  const int64_t block_rows = mr * kRowPanels;
  Scratch& s = scratch_[thread];
  if (s.tile.size() < static_cast<size_t>(mr * kGemmDepth)) {
    s.tile.assign(mr * kGemmDepth, 0.0f);
  }
  if (s.acc.size() < static_cast<size_t>(block_rows * tokens)) {
    s.acc.resize(block_rows * tokens);
  }
  // Bytes of one k-block of a row (a whole number of the type's blocks).
  const int64_t depth_bytes = RowBytes(w.type, kGemmDepth);
  float* tile = s.tile.data();
  for (int64_t rb = r_begin; rb < r_end; rb += block_rows) {
    const int64_t re = std::min(rb + block_rows, r_end);
    const int64_t panels_here = (re - rb + mr - 1) / mr;
    std::fill_n(s.acc.data(), panels_here * mr * tokens, 0.0f);
    for (int64_t k0 = 0; k0 < n; k0 += kGemmDepth) {
      const int64_t kc = std::min<int64_t>(kGemmDepth, n - k0);
      const int64_t offset = k0 / kGemmDepth * depth_bytes;
      for (int64_t p = 0; p < panels_here; ++p) {
        const int64_t r0 = rb + p * mr;
        const int64_t rows_here = std::min(mr, re - r0);
        // The next register block's slice of weights, from DRAM while this
        // one multiplies: short pieces of many rows, which the hardware
        // prefetcher does not follow.
        int64_t next_row = r0 + mr;
        int64_t next_offset = offset;
        if (p + 1 == panels_here) {
          next_row = k0 + kGemmDepth < n ? rb : re;
          next_offset = k0 + kGemmDepth < n ? offset + depth_bytes : 0;
        }
        const int64_t next_end =
            std::min(next_row + mr, next_row < re ? re : r_end);
        for (int64_t r = next_row; r < next_end; ++r) {
          const uint8_t* piece = w.row(r) + next_offset;
          for (int64_t b = 0; b < depth_bytes; b += 64) {
            __builtin_prefetch(piece + b, 0, 3);
          }
        }
        for (int64_t i = 0; i < rows_here; ++i) {
          kernels_->dequantize_row(w.type, w.row(r0 + i) + offset, kc,
                                   tile + i * kGemmDepth);
        }
        // Rows past the range multiply as zeros and are not written.
        for (int64_t i = rows_here; i < mr; ++i) {
          std::fill_n(tile + i * kGemmDepth, kc, 0.0f);
        }
        kernels_->gemm_block(tile, packed_.data() + k0 * lanes, n * lanes, kc,
                             panels_, s.acc.data() + p * mr * tokens, tokens);
      }
    }
    for (int64_t t = 0; t < n_tokens_; ++t) {
      float* out = y + t * w.rows;
      for (int64_t r = rb; r < re; ++r) {
        out[r] = s.acc[(r - rb) * tokens + t];
      }
    }
  }
}

}  // namespace inferd::llm
