#include "backend/llm/testing/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>

#include "backend/llm/kernels.h"
#include "tensor/half.h"

namespace inferd::llm {
namespace {

int Clamp(float v, int lo, int hi) {
  return std::clamp(static_cast<int>(std::nearbyint(v)), lo, hi);
}

template <class T>
void Append(const T& block, std::string* out) {
  out->append(reinterpret_cast<const char*>(&block), sizeof(block));
}

// Value with the largest magnitude, sign kept (so the scale's sign puts it
// at the end of the range with one more level, as ggml does).
float SignedMax(const float* x, int n) {
  float best = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > std::fabs(best)) best = x[i];
  }
  return best;
}

float Inverse(float d) { return d != 0 ? 1.0f / d : 0.0f; }

void PackNibbles(const int* q, uint8_t* qs) {
  for (int i = 0; i < 16; ++i) qs[i] = (q[i] & 0x0f) | ((q[i + 16] & 0x0f) << 4);
}

void PackHighBits(const int* q, uint8_t* qh) {
  uint32_t bits = 0;
  for (int i = 0; i < 32; ++i) bits |= static_cast<uint32_t>((q[i] >> 4) & 1) << i;
  std::memcpy(qh, &bits, 4);
}

// Q4_K / Q5_K: 8 sub-blocks of 32 with a 6-bit scale and min each, the
// scales themselves scaled by the f16 d and dmin.
template <class Block>
Block QuantizeK(const float* x, int levels) {
  float scale[8], min[8];
  for (int j = 0; j < 8; ++j) {
    const float* v = x + 32 * j;
    const float lo = std::min(0.0f, *std::min_element(v, v + 32));
    const float hi = *std::max_element(v, v + 32);
    min[j] = -lo;
    scale[j] = (hi - lo) / levels;
  }
  const float d = *std::max_element(scale, scale + 8) / 63;
  const float dmin = *std::max_element(min, min + 8) / 63;
  Block b{};
  b.d = FloatToHalf(d);
  b.dmin = FloatToHalf(dmin);
  int sc[8], m[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = Clamp(scale[j] * Inverse(d), 0, 63);
    m[j] = Clamp(min[j] * Inverse(dmin), 0, 63);
  }
  for (int j = 0; j < 4; ++j) {
    b.scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    b.scales[j + 4] = static_cast<uint8_t>(m[j] | ((m[j + 4] >> 4) << 6));
    b.scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0f) | ((m[j + 4] & 0x0f) << 4));
  }
  const float dq = HalfToFloat(b.d), mq = HalfToFloat(b.dmin);
  for (int j = 0; j < 8; ++j) {
    const float step = dq * sc[j];
    for (int l = 0; l < 32; ++l) {
      const int q = Clamp((x[32 * j + l] + mq * m[j]) * Inverse(step), 0, levels);
      uint8_t& byte = b.qs[32 * (j / 2) + l];
      byte |= static_cast<uint8_t>((q & 0x0f) << (4 * (j & 1)));
      if constexpr (std::is_same_v<Block, BlockQ5_K>) {
        b.qh[l] |= static_cast<uint8_t>(((q >> 4) & 1) << j);
      }
    }
  }
  return b;
}

BlockQ6_K QuantizeQ6K(const float* x) {
  float scale[16];
  for (int g = 0; g < 16; ++g) scale[g] = SignedMax(x + 16 * g, 16) / -32;
  float dmax = 0;
  for (float s : scale) dmax = std::max(dmax, std::fabs(s));
  const float d = dmax / 127;
  BlockQ6_K b{};
  b.d = FloatToHalf(d);
  const float dq = HalfToFloat(b.d);
  int q[256];
  for (int g = 0; g < 16; ++g) {
    b.scales[g] = static_cast<int8_t>(Clamp(scale[g] * Inverse(d), -128, 127));
    const float step = dq * b.scales[g];
    for (int l = 0; l < 16; ++l) {
      q[16 * g + l] = Clamp(x[16 * g + l] * Inverse(step), -32, 31) + 32;
    }
  }
  // Value 128n + 32k + l: low 4 bits in ql[64n + 32(k&1) + l] (low nibble
  // for k < 2), high 2 bits at bit 2k of qh[32n + l].
  for (int n = 0; n < 2; ++n) {
    for (int k = 0; k < 4; ++k) {
      for (int l = 0; l < 32; ++l) {
        const int v = q[128 * n + 32 * k + l];
        b.ql[64 * n + 32 * (k & 1) + l] |=
            static_cast<uint8_t>((v & 0x0f) << (k < 2 ? 0 : 4));
        b.qh[32 * n + l] |= static_cast<uint8_t>((v >> 4) << (2 * k));
      }
    }
  }
  return b;
}

void QuantizeBlock(GgmlType type, const float* x, std::string* out) {
  int q[32];
  switch (type) {
    case GgmlType::kQ8_0: {
      BlockQ8_0 b;
      float amax = 0;
      for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[i]));
      b.d = FloatToHalf(amax / 127);
      const float inv = Inverse(HalfToFloat(b.d));
      for (int i = 0; i < 32; ++i) b.qs[i] = static_cast<int8_t>(Clamp(x[i] * inv, -127, 127));
      Append(b, out);
      return;
    }
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0: {
      const int half = type == GgmlType::kQ4_0 ? 8 : 16;
      const uint16_t d = FloatToHalf(SignedMax(x, 32) / -half);
      const float inv = Inverse(HalfToFloat(d));
      for (int i = 0; i < 32; ++i) q[i] = Clamp(x[i] * inv, -half, half - 1) + half;
      if (type == GgmlType::kQ4_0) {
        BlockQ4_0 b;
        b.d = d;
        PackNibbles(q, b.qs);
        Append(b, out);
      } else {
        BlockQ5_0 b;
        b.d = d;
        PackNibbles(q, b.qs);
        PackHighBits(q, b.qh);
        Append(b, out);
      }
      return;
    }
    case GgmlType::kQ5_1: {
      const float lo = *std::min_element(x, x + 32);
      const float hi = *std::max_element(x, x + 32);
      BlockQ5_1 b;
      b.d = FloatToHalf((hi - lo) / 31);
      b.m = FloatToHalf(lo);
      const float inv = Inverse(HalfToFloat(b.d)), m = HalfToFloat(b.m);
      for (int i = 0; i < 32; ++i) q[i] = Clamp((x[i] - m) * inv, 0, 31);
      PackNibbles(q, b.qs);
      PackHighBits(q, b.qh);
      Append(b, out);
      return;
    }
    case GgmlType::kIQ4_NL: {
      BlockIQ4_NL b;
      b.d = FloatToHalf(SignedMax(x, 32) / kIq4NlLevels[0]);
      const float d = HalfToFloat(b.d);
      for (int i = 0; i < 32; ++i) {
        int best = 0;
        for (int k = 1; k < 16; ++k) {
          if (std::fabs(d * kIq4NlLevels[k] - x[i]) <
              std::fabs(d * kIq4NlLevels[best] - x[i])) {
            best = k;
          }
        }
        q[i] = best;
      }
      PackNibbles(q, b.qs);
      Append(b, out);
      return;
    }
    case GgmlType::kQ4_K:
      Append(QuantizeK<BlockQ4_K>(x, 15), out);
      return;
    case GgmlType::kQ5_K:
      Append(QuantizeK<BlockQ5_K>(x, 31), out);
      return;
    case GgmlType::kQ6_K:
      Append(QuantizeQ6K(x), out);
      return;
    default:
      return;
  }
}

}  // namespace

// The quantisers cover every weight type the kernels multiply.
bool CanQuantize(GgmlType type) { return IsSupportedWeightType(type); }

std::string Quantize(GgmlType type, const float* x, int64_t n) {
  std::string out;
  out.reserve(RowBytes(type, n));
  switch (type) {
    case GgmlType::kF32:
      out.assign(reinterpret_cast<const char*>(x), n * sizeof(float));
      return out;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == GgmlType::kF16 ? FloatToHalf(x[i])
                                                  : FloatToBfloat16(x[i]);
        out.append(reinterpret_cast<const char*>(&h), 2);
      }
      return out;
    default:
      break;
  }
  const int64_t block = FindGgmlType(static_cast<uint32_t>(type))->block_size;
  for (int64_t b = 0; b < n / block; ++b) QuantizeBlock(type, x + b * block, &out);
  return out;
}

}  // namespace inferd::llm
