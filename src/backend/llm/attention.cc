#include "backend/llm/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/llm/elementwise.h"
#include "backend/llm/kernels.h"
#include "backend/llm/kv_kernels.h"

namespace inferd::llm {

void AttendHeads(const KvCache& cache, const SequenceKv& seq, int64_t layer,
                 int64_t kv_head, const float* q, int64_t n_heads,
                 int64_t first, int64_t last, const AttentionParams& params,
                 float* out) {
  const GgmlType type = cache.options().type;
  const int64_t d = params.head_dim;
  const int64_t block = cache.options().block_tokens;
  const int64_t stride = cache.row_bytes();
  const int64_t head_off = RowBytes(type, kv_head * d);
  float max_score[kMaxHeadsPerPass], sum[kMaxHeadsPerPass];
  float w[kAttentionTile];
  std::fill(out, out + n_heads * d, 0.0f);
  std::fill(max_score, max_score + n_heads,
            -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + n_heads, 0.0f);
  for (int64_t p = first; p <= last;) {
    const int64_t block_end = (p / block + 1) * block;
    const int64_t n = std::min({kAttentionTile, last + 1 - p, block_end - p});
    const uint8_t* keys = cache.Key(seq, layer, p) + head_off;
    const uint8_t* values = cache.Value(seq, layer, p) + head_off;
    // The tile's rows stay in L1 while the heads of the group pass.
    for (int64_t h = 0; h < n_heads; ++h) {
      KvDots(type, q + h * d, keys, stride, n, d, w);
      for (int64_t i = 0; i < n; ++i) w[i] *= params.scale;
      if (params.softcap > 0) SoftCap(w, n, params.softcap);
      const float tile_max = *std::max_element(w, w + n);
      float* o = out + h * d;
      if (tile_max > max_score[h]) {
        // Nothing accumulated yet on the first tile: no rescaling.
        if (sum[h] > 0) {
          const float shrink = std::exp(max_score[h] - tile_max);
          sum[h] *= shrink;
          for (int64_t j = 0; j < d; ++j) o[j] *= shrink;
        }
        max_score[h] = tile_max;
      }
      sum[h] += ExpSum(w, n, max_score[h]);
      KvAccumulate(type, w, values, stride, n, d, o);
    }
    p += n;
  }
  for (int64_t h = 0; h < n_heads; ++h) {
    const float inv = 1.0f / sum[h];
    float* o = out + h * d;
    for (int64_t j = 0; j < d; ++j) o[j] *= inv;
  }
}

}  // namespace inferd::llm
