#include "backend/llm/elementwise.h"

#include <cmath>

#include "backend/llm/kernels.h"

namespace inferd::llm {

void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* y) {
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void LayerNorm(const float* x, const float* w, const float* b, int64_t n,
               float eps, float* y) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += x[i];
  const double mean = sum / n;
  double ss = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = x[i] - mean;
    ss += d * d;
  }
  const float scale = static_cast<float>(1.0 / std::sqrt(ss / n + eps));
  const float m = static_cast<float>(mean);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) * scale * w[i] + b[i];
}

void Gelu(float* v, int64_t n) {
  constexpr float kInvSqrt2 = 0.7071067811865476f;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = 0.5f * v[i] * (1.0f + std::erf(v[i] * kInvSqrt2));
  }
}

void HeadRmsNorm(float* v, int64_t n_heads, int64_t head_dim, const float* w,
                 float eps) {
  for (int64_t h = 0; h < n_heads; ++h) {
    RmsNorm(v + h * head_dim, w, head_dim, eps, v + h * head_dim);
  }
}

void SoftCap(float* v, int64_t n, float cap) {
  const float inv = 1.0f / cap;
  for (int64_t i = 0; i < n; ++i) v[i] = cap * std::tanh(v[i] * inv);
}

void GatedActivation(ModelConfig::Activation act, float* gate, const float* up,
                     int64_t n) {
  GatedMul(act != ModelConfig::Activation::kSilu, gate, up, n);
}

}  // namespace inferd::llm
