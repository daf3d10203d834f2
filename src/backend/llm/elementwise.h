#pragma once

// Element-wise steps of the forward pass that some architectures add to the
// llama block (arch.h): RMS norm (of a row, or of each head of a row), logit
// soft-capping, and the gated FFN activations (SwiGLU, GeGLU with GELU's
// tanh approximation); and the encoders' (encoder_model.h) layer norm with
// bias and exact (erf) GELU. Scalar loops: they touch each activation once, next
// to matrix products that read every weight.
//
// Thread-safety: pure functions.

#include <cstdint>

#include "backend/llm/model.h"

namespace inferd::llm {

// y = x / sqrt(mean(x^2) + eps) * w over n values (y may be x).
void RmsNorm(const float* x, const float* w, int64_t n, float eps, float* y);

// y = (x - mean) / sqrt(var + eps) * w + b over n values (y may be x).
void LayerNorm(const float* x, const float* w, const float* b, int64_t n,
               float eps, float* y);

// v = v * Phi(v) (GELU with erf, as BERT's "gelu") over n values.
void Gelu(float* v, int64_t n);

// RmsNorm of each of the n_heads consecutive heads of `v`, in place, with
// the same head_dim weights for every head (qwen3 / gemma3 q and k norms).
void HeadRmsNorm(float* v, int64_t n_heads, int64_t head_dim, const float* w,
                 float eps);

// v = cap * tanh(v / cap) for n values; cap must be positive.
void SoftCap(float* v, int64_t n, float cap);

// gate = act(gate) * up over n values.
void GatedActivation(ModelConfig::Activation act, float* gate,
                     const float* up, int64_t n);

}  // namespace inferd::llm
