#include "backend/llm/kernels.h"

#include <cmath>
#include <cstring>

#include "tensor/half.h"

#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define INFERD_LLM_AVX2 1
#include <immintrin.h>
#endif

namespace inferd::llm {
namespace {

inline float HalfToFloatFast(uint16_t h) {
#if INFERD_LLM_AVX2
  return _cvtsh_ss(h);
#else
  return HalfToFloat(h);
#endif
}

// Software prefetch distance for weight streams. Decode reads each weight
// once from DRAM; the hardware prefetcher alone leaves the dot loops waiting
// on memory (measured ~40-60% of read bandwidth without this; 4 KiB ahead
// was best of 0.5-8 KiB on the benchmark machine).
constexpr int kPrefetchBytes = 4096;

inline void Prefetch(const void* p) {
#if INFERD_LLM_AVX2
  _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T0);
#else
  (void)p;
#endif
}

#if INFERD_LLM_AVX2
inline float HorizontalSum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// Sum of products of 32 signed bytes, as 8 float lanes.
inline __m256 DotI8(__m256i a, __m256i b) {
  const __m256i abs_a = _mm256_sign_epi8(a, a);
  const __m256i b_signed = _mm256_sign_epi8(b, a);
  const __m256i pairs = _mm256_maddubs_epi16(abs_a, b_signed);
  const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
  return _mm256_cvtepi32_ps(quads);
}
#endif

float DotF16(const uint16_t* w, const float* x, int64_t n) {
  int64_t i = 0;
  float sum = 0;
#if INFERD_LLM_AVX2
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    Prefetch(w + i);
    const __m128i* p = reinterpret_cast<const __m128i*>(w + i);
    acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p)),
                           _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p + 1)),
                           _mm256_loadu_ps(x + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p + 2)),
                           _mm256_loadu_ps(x + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(p + 3)),
                           _mm256_loadu_ps(x + i + 24), acc3);
  }
  sum = HorizontalSum(
      _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
#endif
  for (; i < n; ++i) sum += HalfToFloat(w[i]) * x[i];
  return sum;
}

float DotBf16(const uint16_t* w, const float* x, int64_t n) {
  int64_t i = 0;
  float sum = 0;
#if INFERD_LLM_AVX2
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    Prefetch(w + i);
    const __m128i* p = reinterpret_cast<const __m128i*>(w + i);
    const __m256 w0 = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(p)), 16));
    const __m256 w1 = _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(p + 1)), 16));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
  }
  sum = HorizontalSum(_mm256_add_ps(acc0, acc1));
#endif
  for (; i < n; ++i) sum += Bfloat16ToFloat(w[i]) * x[i];
  return sum;
}

float DotQ8_0(const BlockQ8_0* w, const BlockQ8Act* x, int64_t nb) {
#if INFERD_LLM_AVX2
  // Two blocks per iteration into independent accumulators: more loads in
  // flight and no single FMA dependency chain.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    Prefetch(w + b);
    const __m256i w0 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i w1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b + 1].qs));
    const __m256i x0 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const __m256i x1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b + 1].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(HalfToFloatFast(w[b].d) * x[b].d),
                           DotI8(w0, x0), acc0);
    acc1 = _mm256_fmadd_ps(
        _mm256_set1_ps(HalfToFloatFast(w[b + 1].d) * x[b + 1].d), DotI8(w1, x1),
        acc1);
  }
  for (; b < nb; ++b) {
    const __m256i wq =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    const __m256i xq =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(HalfToFloatFast(w[b].d) * x[b].d),
                           DotI8(wq, xq), acc0);
  }
  return HorizontalSum(_mm256_add_ps(acc0, acc1));
#else
  float sum = 0;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t s = 0;
    for (int j = 0; j < 32; ++j) s += w[b].qs[j] * x[b].qs[j];
    sum += HalfToFloat(w[b].d) * x[b].d * s;
  }
  return sum;
#endif
}

float DotQ4_0(const BlockQ4_0* w, const BlockQ8Act* x, int64_t nb) {
#if INFERD_LLM_AVX2
  __m256 acc = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  const __m256i eight = _mm256_set1_epi8(8);
  for (int64_t b = 0; b < nb; ++b) {
    Prefetch(w + b);
    const __m128i packed =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    // Bytes 0..15: low nibbles (values 0..15); 16..31: high nibbles.
    const __m256i both = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    const __m256i wq = _mm256_sub_epi8(_mm256_and_si256(both, low_mask), eight);
    const __m256i xq =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    const __m256 d = _mm256_set1_ps(HalfToFloatFast(w[b].d) * x[b].d);
    acc = _mm256_fmadd_ps(d, DotI8(wq, xq), acc);
  }
  return HorizontalSum(acc);
#else
  float sum = 0;
  for (int64_t b = 0; b < nb; ++b) {
    int32_t s = 0;
    for (int j = 0; j < 16; ++j) {
      s += ((w[b].qs[j] & 0x0f) - 8) * x[b].qs[j];
      s += ((w[b].qs[j] >> 4) - 8) * x[b].qs[j + 16];
    }
    sum += HalfToFloat(w[b].d) * x[b].d * s;
  }
  return sum;
#endif
}

// Q4_K: 8 sub-blocks of 32 values, each with a 6-bit scale and min packed
// in `scales`; value = d * scale_j * q - dmin * min_j.
inline void ScaleMinK4(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0x0f) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void DequantizeQ4K(const BlockQ4_K* blocks, int64_t nb, float* y) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_K& x = blocks[b];
    const float d = HalfToFloat(x.d);
    const float dmin = HalfToFloat(x.dmin);
    const uint8_t* q = x.qs;
    for (int j = 0; j < 4; ++j) {  // 64 values per step
      uint8_t sc, m;
      ScaleMinK4(2 * j, x.scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      ScaleMinK4(2 * j + 1, x.scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0x0f) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
      q += 32;
    }
  }
}

// Q6_K: 16 groups of 16 values with int8 scales; 6-bit values stored as 4
// low bits (ql) and 2 high bits (qh), offset by 32.
void DequantizeQ6K(const BlockQ6_K* blocks, int64_t nb, float* y) {
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_K& x = blocks[b];
    const float d = HalfToFloat(x.d);
    const uint8_t* ql = x.ql;
    const uint8_t* qh = x.qh;
    const int8_t* sc = x.scales;
    for (int n = 0; n < kQK_K; n += 128) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[is] * q1;
        y[l + 32] = d * sc[is + 2] * q2;
        y[l + 64] = d * sc[is + 4] * q3;
        y[l + 96] = d * sc[is + 6] * q4;
      }
      y += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
}

// Integer dot products against 8-bit activation blocks (32 values each).
float DotQ4K(const BlockQ4_K* w, const BlockQ8Act* x, int64_t nb) {
#if INFERD_LLM_AVX2
  __m256 acc = _mm256_setzero_ps();
  __m256 acc_min = _mm256_setzero_ps();
  const __m256i low_mask = _mm256_set1_epi8(0x0f);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_K& blk = w[b];
    Prefetch(w + b);
    const float d = HalfToFloatFast(blk.d);
    const float dmin = HalfToFloatFast(blk.dmin);
    for (int j = 0; j < 4; ++j) {
      const __m256i q =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * j));
      const __m256i lo = _mm256_and_si256(q, low_mask);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
      for (int half = 0; half < 2; ++half) {
        const BlockQ8Act& xa = x[b * 8 + 2 * j + half];
        const __m256i xq =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.qs));
        const __m256i dot =
            _mm256_madd_epi16(_mm256_maddubs_epi16(half ? hi : lo, xq), ones16);
        const __m256i xsum =
            _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, xq), ones16);
        uint8_t sc, m;
        ScaleMinK4(2 * j + half, blk.scales, &sc, &m);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot),
                              _mm256_set1_ps(xa.d * d * sc), acc);
        acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(xsum),
                                  _mm256_set1_ps(xa.d * dmin * m), acc_min);
      }
    }
  }
  return HorizontalSum(acc) - HorizontalSum(acc_min);
#else
  float sum = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_K& blk = w[b];
    const float d = HalfToFloatFast(blk.d);
    const float dmin = HalfToFloatFast(blk.dmin);
    const uint8_t* q = blk.qs;
    for (int j = 0; j < 4; ++j) {
      const BlockQ8Act& xa = x[b * 8 + 2 * j];
      const BlockQ8Act& xb = x[b * 8 + 2 * j + 1];
      int32_t dot_a = 0, dot_b = 0, sum_a = 0, sum_b = 0;
      for (int l = 0; l < 32; ++l) {
        dot_a += (q[l] & 0x0f) * xa.qs[l];
        dot_b += (q[l] >> 4) * xb.qs[l];
        sum_a += xa.qs[l];
        sum_b += xb.qs[l];
      }
      uint8_t sc, m;
      ScaleMinK4(2 * j, blk.scales, &sc, &m);
      sum += xa.d * (d * sc * dot_a - dmin * m * sum_a);
      ScaleMinK4(2 * j + 1, blk.scales, &sc, &m);
      sum += xb.d * (d * sc * dot_b - dmin * m * sum_b);
      q += 32;
    }
  }
  return sum;
#endif
}

float DotQ6K(const BlockQ6_K* w, const BlockQ8Act* x, int64_t nb) {
#if INFERD_LLM_AVX2
  __m256 acc = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  const __m256i m2 = _mm256_set1_epi8(3);
  const __m256i k32 = _mm256_set1_epi8(32);
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_K& blk = w[b];
    Prefetch(w + b);
    const float d = HalfToFloatFast(blk.d);
    for (int n = 0; n < 2; ++n) {
      const uint8_t* ql = blk.ql + 64 * n;
      const uint8_t* qh = blk.qh + 32 * n;
      const __m256i l0 =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i l1 =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      const __m256i h =
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh));
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                             _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
      q[1] = _mm256_or_si256(
          _mm256_and_si256(l1, m4),
          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
      q[2] = _mm256_or_si256(
          _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
      q[3] = _mm256_or_si256(
          _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
          _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
      for (int k = 0; k < 4; ++k) {
        const BlockQ8Act& xa = x[b * 8 + 4 * n + k];
        const __m256i xq =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xa.qs));
        const int8_t* sc = blk.scales + 8 * n + 2 * k;
        // int16 lanes 0-7 hold values 0..15 (first scale), 8-15 values 16..31.
        const __m256i scales = _mm256_setr_epi16(
            sc[0], sc[0], sc[0], sc[0], sc[0], sc[0], sc[0], sc[0], sc[1],
            sc[1], sc[1], sc[1], sc[1], sc[1], sc[1], sc[1]);
        const __m256i qx = _mm256_maddubs_epi16(q[k], xq);
        const __m256i bias = _mm256_maddubs_epi16(k32, xq);
        const __m256i dot =
            _mm256_madd_epi16(_mm256_sub_epi16(qx, bias), scales);
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(d * xa.d),
                              acc);
      }
    }
  }
  return HorizontalSum(acc);
#else
  float sum = 0;
  int8_t vals[kQK_K];
  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_K& blk = w[b];
    const uint8_t* ql = blk.ql;
    const uint8_t* qh = blk.qh;
    for (int n = 0; n < kQK_K; n += 128) {
      for (int l = 0; l < 32; ++l) {
        vals[n + l] = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
        vals[n + l + 32] =
            ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
        vals[n + l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        vals[n + l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      }
      ql += 64;
      qh += 32;
    }
    const float d = HalfToFloatFast(blk.d);
    for (int g = 0; g < 8; ++g) {  // activation blocks of 32 = 2 scale groups
      const BlockQ8Act& xa = x[b * 8 + g];
      int32_t lo = 0, hi = 0;
      for (int l = 0; l < 16; ++l) lo += vals[g * 32 + l] * xa.qs[l];
      for (int l = 16; l < 32; ++l) hi += vals[g * 32 + l] * xa.qs[l];
      sum += xa.d * d * (blk.scales[2 * g] * lo + blk.scales[2 * g + 1] * hi);
    }
  }
  return sum;
#endif
}

}  // namespace

bool KernelsUseAvx2() {
#if INFERD_LLM_AVX2
  return true;
#else
  return false;
#endif
}

bool IsSupportedWeightType(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_K:
    case GgmlType::kQ6_K:
      return true;
    default:
      return false;
  }
}

bool UsesQuantizedActivations(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 ||
         type == GgmlType::kQ4_K || type == GgmlType::kQ6_K;
}

float DotF32(const float* a, const float* b, int64_t n) {
  int64_t i = 0;
  float sum = 0;
#if INFERD_LLM_AVX2
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
  for (; i + 32 <= n; i += 32) {
    acc0 =
        _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8),
                           _mm256_loadu_ps(b + i + 8), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16),
                           _mm256_loadu_ps(b + i + 16), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24),
                           _mm256_loadu_ps(b + i + 24), acc3);
  }
  for (; i + 8 <= n; i += 8) {
    acc0 =
        _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  }
  sum = HorizontalSum(
      _mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
#endif
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void QuantizeActivations(const float* x, int64_t n, BlockQ8Act* out) {
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* v = x + b * 32;
    float amax = 0;
    for (int j = 0; j < 32; ++j) amax = std::fmax(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    const float inv = d > 0 ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (int j = 0; j < 32; ++j) {
      out[b].qs[j] = static_cast<int8_t>(std::nearbyint(v[j] * inv));
    }
  }
}

float DotRow(GgmlType type, const void* row, const float* x,
             const BlockQ8Act* xq, int64_t n) {
  switch (type) {
    case GgmlType::kF32:
      return DotF32(static_cast<const float*>(row), x, n);
    case GgmlType::kF16:
      return DotF16(static_cast<const uint16_t*>(row), x, n);
    case GgmlType::kBF16:
      return DotBf16(static_cast<const uint16_t*>(row), x, n);
    case GgmlType::kQ8_0:
      return DotQ8_0(static_cast<const BlockQ8_0*>(row), xq, n / 32);
    case GgmlType::kQ4_0:
      return DotQ4_0(static_cast<const BlockQ4_0*>(row), xq, n / 32);
    case GgmlType::kQ4_K:
      return DotQ4K(static_cast<const BlockQ4_K*>(row), xq, n / kQK_K);
    case GgmlType::kQ6_K:
      return DotQ6K(static_cast<const BlockQ6_K*>(row), xq, n / kQK_K);
    default:
      return 0;
  }
}

void DequantizeRow(GgmlType type, const void* row, int64_t n, float* out) {
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(out, row, n * sizeof(float));
      return;
    case GgmlType::kF16: {
      const auto* w = static_cast<const uint16_t*>(row);
      int64_t i = 0;
#if INFERD_LLM_AVX2
      for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i,
                         _mm256_cvtph_ps(_mm_loadu_si128(
                             reinterpret_cast<const __m128i*>(w + i))));
      }
#endif
      for (; i < n; ++i) out[i] = HalfToFloat(w[i]);
      return;
    }
    case GgmlType::kBF16: {
      const auto* w = static_cast<const uint16_t*>(row);
      for (int64_t i = 0; i < n; ++i) out[i] = Bfloat16ToFloat(w[i]);
      return;
    }
    case GgmlType::kQ8_0: {
      const auto* b = static_cast<const BlockQ8_0*>(row);
      for (int64_t k = 0; k < n / 32; ++k) {
        const float d = HalfToFloat(b[k].d);
        for (int j = 0; j < 32; ++j) out[k * 32 + j] = d * b[k].qs[j];
      }
      return;
    }
    case GgmlType::kQ4_0: {
      const auto* b = static_cast<const BlockQ4_0*>(row);
      for (int64_t k = 0; k < n / 32; ++k) {
        const float d = HalfToFloat(b[k].d);
        for (int j = 0; j < 16; ++j) {
          out[k * 32 + j] = d * ((b[k].qs[j] & 0x0f) - 8);
          out[k * 32 + j + 16] = d * ((b[k].qs[j] >> 4) - 8);
        }
      }
      return;
    }
    case GgmlType::kQ4_K:
      DequantizeQ4K(static_cast<const BlockQ4_K*>(row), n / kQK_K, out);
      return;
    case GgmlType::kQ6_K:
      DequantizeQ6K(static_cast<const BlockQ6_K*>(row), n / kQK_K, out);
      return;
    default:
      std::memset(out, 0, n * sizeof(float));
  }
}

void DotTile3x4(const float* w, const float* x, int64_t n, float out[3][4]) {
  int64_t i = 0;
#if INFERD_LLM_AVX2
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(),
         c02 = _mm256_setzero_ps(), c03 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps(),
         c12 = _mm256_setzero_ps(), c13 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(),
         c22 = _mm256_setzero_ps(), c23 = _mm256_setzero_ps();
  const float* w0 = w;
  const float* w1 = w + n;
  const float* w2 = w + 2 * n;
  for (; i + 8 <= n; i += 8) {
    const __m256 a0 = _mm256_loadu_ps(w0 + i);
    const __m256 a1 = _mm256_loadu_ps(w1 + i);
    const __m256 a2 = _mm256_loadu_ps(w2 + i);
    __m256 b = _mm256_loadu_ps(x + i);
    c00 = _mm256_fmadd_ps(a0, b, c00);
    c10 = _mm256_fmadd_ps(a1, b, c10);
    c20 = _mm256_fmadd_ps(a2, b, c20);
    b = _mm256_loadu_ps(x + n + i);
    c01 = _mm256_fmadd_ps(a0, b, c01);
    c11 = _mm256_fmadd_ps(a1, b, c11);
    c21 = _mm256_fmadd_ps(a2, b, c21);
    b = _mm256_loadu_ps(x + 2 * n + i);
    c02 = _mm256_fmadd_ps(a0, b, c02);
    c12 = _mm256_fmadd_ps(a1, b, c12);
    c22 = _mm256_fmadd_ps(a2, b, c22);
    b = _mm256_loadu_ps(x + 3 * n + i);
    c03 = _mm256_fmadd_ps(a0, b, c03);
    c13 = _mm256_fmadd_ps(a1, b, c13);
    c23 = _mm256_fmadd_ps(a2, b, c23);
  }
  out[0][0] = HorizontalSum(c00);
  out[0][1] = HorizontalSum(c01);
  out[0][2] = HorizontalSum(c02);
  out[0][3] = HorizontalSum(c03);
  out[1][0] = HorizontalSum(c10);
  out[1][1] = HorizontalSum(c11);
  out[1][2] = HorizontalSum(c12);
  out[1][3] = HorizontalSum(c13);
  out[2][0] = HorizontalSum(c20);
  out[2][1] = HorizontalSum(c21);
  out[2][2] = HorizontalSum(c22);
  out[2][3] = HorizontalSum(c23);
#else
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) out[r][c] = 0;
  }
#endif
  for (; i < n; ++i) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 4; ++c) out[r][c] += w[r * n + i] * x[c * n + i];
    }
  }
}

}  // namespace inferd::llm
