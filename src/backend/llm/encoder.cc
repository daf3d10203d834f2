#include "backend/llm/encoder.h"

#include <algorithm>
#include <cmath>

#include "backend/llm/elementwise.h"
#include "backend/llm/kernels.h"
#include "common/strings.h"

namespace inferd::llm {
namespace {

void AddBias(float* y, const float* bias, int64_t rows, int64_t n_tokens) {
  if (bias == nullptr) return;
  for (int64_t t = 0; t < n_tokens; ++t) {
    float* row = y + t * rows;
    for (int64_t i = 0; i < rows; ++i) row[i] += bias[i];
  }
}

// Rotates each head of `v` (NeoX layout: pairs (i, i + d/2)).
void RopeNeox(float* v, int64_t n_heads, int64_t head_dim, const float* cos,
              const float* sin) {
  const int64_t half = head_dim / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* x = v + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const float x0 = x[i], x1 = x[i + half];
      x[i] = x0 * cos[i] - x1 * sin[i];
      x[i + half] = x0 * sin[i] + x1 * cos[i];
    }
  }
}

}  // namespace

Encoder::Encoder(const EncoderModel* model, ThreadPool* pool)
    : model_(model),
      pool_(pool),
      matmul_(pool),
      scores_(static_cast<size_t>(pool->parallelism())) {}

absl::Status Encoder::Forward(absl::Span<const absl::Span<const int32_t>> texts,
                              float* x) {
  const EncoderConfig& c = model_->config();
  int64_t T = 0;
  int64_t longest = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const int64_t n = static_cast<int64_t>(texts[i].size());
    if (n == 0 || n > c.context_length) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("text ", i, " has ", n, " tokens; the model takes 1 to ",
                        c.context_length)));
    }
    for (int32_t id : texts[i]) {
      if (id < 0 || id >= c.n_vocab) {
        return absl::InvalidArgumentError(
            ToAbsl(StrCat("token id ", id, " is outside the vocabulary (",
                          c.n_vocab, " tokens)")));
      }
    }
    T += n;
    longest = std::max(longest, n);
  }
  if (T == 0) return absl::OkStatus();
  const int64_t D = c.dim;
  text_begin_.resize(T);
  text_length_.resize(T);
  q_.resize(T * D);
  k_.resize(T * D);
  v_.resize(T * D);
  att_.resize(T * D);
  proj_.resize(T * D);
  up_.resize(T * c.ffn_dim);
  if (c.gated_ffn) gate_.resize(T * c.ffn_dim);
  for (auto& s : scores_) {
    if (static_cast<int64_t>(s.size()) < longest) s.resize(longest);
  }

  // Embeddings: token + token type 0 + position (bert), then LayerNorm.
  const int64_t half = c.head_dim / 2;
  if (c.rope) {
    cos_.resize(T * half);
    sin_.resize(T * half);
  }
  const std::vector<float>& type_row = model_->token_type_row();
  std::vector<float> position(D);
  int64_t t = 0;
  for (const absl::Span<const int32_t>& text : texts) {
    const int64_t begin = t;
    const int64_t n = static_cast<int64_t>(text.size());
    for (int64_t p = 0; p < n; ++p, ++t) {
      text_begin_[t] = begin;
      text_length_[t] = n;
      float* row = x + t * D;
      const Weight& e = model_->token_embedding();
      DequantizeRow(e.type, e.row(text[p]), D, row);
      if (!type_row.empty()) {
        for (int64_t i = 0; i < D; ++i) row[i] += type_row[i];
      }
      if (c.rope) {
        const std::vector<float>& inv = model_->rope_inv_freq();
        for (int64_t i = 0; i < half; ++i) {
          const double theta = static_cast<double>(p) * inv[i];
          cos_[t * half + i] = static_cast<float>(std::cos(theta));
          sin_[t * half + i] = static_cast<float>(std::sin(theta));
        }
      } else {
        const Weight& pe = model_->position_embedding();
        DequantizeRow(pe.type, pe.row(p), D, position.data());
        for (int64_t i = 0; i < D; ++i) row[i] += position[i];
      }
      LayerNorm(row, model_->embed_norm(), model_->embed_norm_bias(), D,
                c.norm_eps, row);
    }
  }

  for (const EncoderLayerWeights& L : model_->layers()) {
    matmul_.Run({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}},
                x, T);
    AddBias(q_.data(), L.bq, D, T);
    AddBias(k_.data(), L.bk, D, T);
    AddBias(v_.data(), L.bv, D, T);
    if (c.rope) {
      for (int64_t i = 0; i < T; ++i) {
        RopeNeox(q_.data() + i * D, c.n_heads, c.head_dim,
                 cos_.data() + i * half, sin_.data() + i * half);
        RopeNeox(k_.data() + i * D, c.n_heads, c.head_dim,
                 cos_.data() + i * half, sin_.data() + i * half);
      }
    }
    Attention(T);
    matmul_.Run({{&L.wo, proj_.data()}}, att_.data(), T);
    AddBias(proj_.data(), L.bo, D, T);
    // Post-norm: x = LayerNorm(x + attention), then x = LayerNorm(x + FFN).
    for (int64_t i = 0; i < T; ++i) {
      float* row = x + i * D;
      const float* o = proj_.data() + i * D;
      for (int64_t j = 0; j < D; ++j) row[j] += o[j];
      LayerNorm(row, L.attn_norm, L.attn_norm_b, D, c.norm_eps, row);
    }
    if (c.gated_ffn) {
      matmul_.Run({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, x, T);
      GatedActivation(ModelConfig::Activation::kSilu, gate_.data(), up_.data(),
                      T * c.ffn_dim);
      matmul_.Run({{&L.w_down, proj_.data()}}, gate_.data(), T);
    } else {
      matmul_.Run({{&L.w_up, up_.data()}}, x, T);
      AddBias(up_.data(), L.b_up, c.ffn_dim, T);
      Gelu(up_.data(), T * c.ffn_dim);
      matmul_.Run({{&L.w_down, proj_.data()}}, up_.data(), T);
    }
    AddBias(proj_.data(), L.b_down, D, T);
    for (int64_t i = 0; i < T; ++i) {
      float* row = x + i * D;
      const float* o = proj_.data() + i * D;
      for (int64_t j = 0; j < D; ++j) row[j] += o[j];
      LayerNorm(row, L.out_norm, L.out_norm_b, D, c.norm_eps, row);
    }
  }
  return absl::OkStatus();
}

void Encoder::Attention(int64_t n_tokens) {
  const EncoderConfig& c = model_->config();
  const int64_t D = c.dim;
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  auto body = [&](int task, int thread) {
    const int64_t t = task / c.n_heads;
    const int64_t off = (task % c.n_heads) * c.head_dim;
    const int64_t begin = text_begin_[t];
    const int64_t n = text_length_[t];
    const float* q = q_.data() + t * D + off;
    float* scores = scores_[thread].data();
    float max_score = -INFINITY;
    for (int64_t p = 0; p < n; ++p) {
      scores[p] = DotF32(q, k_.data() + (begin + p) * D + off, c.head_dim) * scale;
      max_score = std::max(max_score, scores[p]);
    }
    float sum = 0;
    for (int64_t p = 0; p < n; ++p) {
      scores[p] = std::exp(scores[p] - max_score);
      sum += scores[p];
    }
    const float inv = 1.0f / sum;
    float* out = att_.data() + t * D + off;
    std::fill(out, out + c.head_dim, 0.0f);
    for (int64_t p = 0; p < n; ++p) {
      const float a = scores[p] * inv;
      const float* v = v_.data() + (begin + p) * D + off;
      for (int64_t d = 0; d < c.head_dim; ++d) out[d] += a * v[d];
    }
  };
  pool_->ParallelFor(static_cast<int>(n_tokens * c.n_heads), body);
}

}  // namespace inferd::llm
