// The BF16 GEMM micro-kernel (gemm.h, KernelSet::gemm_bf16_block) on
// AVX-512 BF16: vdpbf16ps multiplies pairs of bf16 values and adds both
// products to an f32 lane, 32 multiply-adds per instruction where an f32
// FMA does 16. Compiled alone with AVX-512 F/BW/VL and BF16 (CMakeLists.txt);
// kernels.cc offers it as the "avx512bf16" set on CPUs that have it.
//
// Operands, as gemm.cc packs them:
//   w   kGemmRowsBf16 rows of bf16 weights as they lie in the file, row i
//       at w + i * kGemmDepth / 2 in pairs of values (k, k + 1) (only the
//       first kc / 2 pairs are read);
//   x   activation panels of 16 tokens, rounded to bf16 and paired the same
//       way: pair p of token l of panel j at x[j * panel_stride + p * 16 + l];
//   c   accumulators, c[i * c_stride + j * 16 + l] += w_i . x_(j,l).
// Each output is one chain over the pairs in k order, whichever tokens
// share its panel: a token's result does not depend on its batch.

#include <immintrin.h>

#include <cstdint>

#include "backend/llm/kernel_set.h"

namespace inferd::llm {
namespace {

constexpr int kRows = kGemmRowsBf16;
constexpr int kLanes = 16;

// V panels x kRows rows: V * kRows accumulators, one load per panel and
// one broadcast per row per pair.
template <int V>
void Bf16Tile(const uint32_t* w, const uint32_t* x, int64_t panel_stride,
              int64_t kc, float* c, int64_t c_stride) {
  __m512 acc[kRows][V];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      acc[i][v] = _mm512_loadu_ps(c + i * c_stride + v * kLanes);
    }
  }
  for (int64_t p = 0; p < kc / 2; ++p) {
    __m512bh b[V];
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      b[v] = (__m512bh)_mm512_loadu_si512(x + v * panel_stride + p * kLanes);
    }
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32(
          static_cast<int>(w[i * (kGemmDepth / 2) + p]));
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v)
        acc[i][v] = _mm512_dpbf16_ps(acc[i][v], a, b[v]);
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      _mm512_storeu_ps(c + i * c_stride + v * kLanes, acc[i][v]);
    }
  }
}

}  // namespace

void GemmBf16BlockAvx512(const uint32_t* w, const uint32_t* x,
                         int64_t panel_stride, int64_t kc, int64_t n_panels,
                         float* c, int64_t c_stride) {
  int64_t j = 0;
  for (; j + 2 <= n_panels; j += 2) {
    Bf16Tile<2>(w, x + j * panel_stride, panel_stride, kc, c + j * kLanes,
                c_stride);
  }
  if (j < n_panels) {
    Bf16Tile<1>(w, x + j * panel_stride, panel_stride, kc, c + j * kLanes,
                c_stride);
  }
}

}  // namespace inferd::llm
