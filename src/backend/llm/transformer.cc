#include "backend/llm/transformer.h"

#include <algorithm>
#include <cmath>

#include "backend/llm/attention.h"
#include "backend/llm/elementwise.h"
#include "common/strings.h"

namespace inferd::llm {
namespace {

// Rotates the first rope_dims of each head of `v` (n_heads x head_dim).
void Rope(float* v, int64_t n_heads, int64_t head_dim, int64_t rope_dims,
          bool neox, const float* cos, const float* sin) {
  const int64_t half = rope_dims / 2;
  for (int64_t h = 0; h < n_heads; ++h) {
    float* x = v + h * head_dim;
    for (int64_t i = 0; i < half; ++i) {
      const int64_t a = neox ? i : 2 * i;
      const int64_t b = neox ? i + half : 2 * i + 1;
      const float x0 = x[a], x1 = x[b];
      x[a] = x0 * cos[i] - x1 * sin[i];
      x[b] = x0 * sin[i] + x1 * cos[i];
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Transformer>> Transformer::Create(
    const Model* model, ThreadPool* pool, Options options) {
  if (options.max_batch_tokens <= 0) {
    return absl::InvalidArgumentError("max_batch_tokens must be positive");
  }
  if (options.max_context <= 0) {
    options.max_context = model->config().context_length;
  }
  return std::unique_ptr<Transformer>(new Transformer(model, pool, options));
}

Transformer::Transformer(const Model* model, ThreadPool* pool, Options options)
    : model_(model),
      pool_(pool),
      options_(options),
      gemm_(pool->parallelism()) {
  const ModelConfig& c = model->config();
  const int64_t T = options.max_batch_tokens;
  x_.resize(T * c.dim);
  xn_.resize(T * std::max(c.dim, c.q_dim()));
  q_.resize(T * c.q_dim());
  k_.resize(T * c.kv_dim());
  v_.resize(T * c.kv_dim());
  att_.resize(T * c.q_dim());
  gate_.resize(T * c.ffn_dim);
  up_.resize(T * c.ffn_dim);
  rope_cos_.resize(T * c.rope_dims / 2);
  rope_sin_.resize(T * c.rope_dims / 2);
  if (c.swa_rope_unscaled) {
    rope_cos_swa_.resize(T * c.rope_dims / 2);
    rope_sin_swa_.resize(T * c.rope_dims / 2);
  }
  const int64_t widest = std::max({c.dim, c.q_dim(), c.ffn_dim});
  xq_.resize(T * ((widest + 31) / 32));
}

void Transformer::MatMul(std::initializer_list<MatOut> outs, const float* x,
                         int64_t n_tokens) {
  // All weights of one call share the input, hence the row length.
  const int64_t n = outs.begin()->w->cols;
  // Decode is memory-bound: dot each weight row in its own encoding, once
  // for all tokens of the batch (DotWeightRows keeps rows in cache while the
  // tokens pass), with 8-bit activations for the integer types. A batch of
  // decode steps (one token per sequence, decode_batch_) always takes this
  // path, so a token gets the same arithmetic alone or beside 15 others.
  // Prompt chunks of kTileMinTokens or more are compute-bound: they run in
  // the blocked GEMM (gemm.h), weights decoded once per product, the
  // quantised types with 8-bit activations in its integer variant (where
  // the kernel set has one) like decode, the others in f32.
  // Batches of F16/BF16/F32 decode steps too from kDecodeTileMinTokens: the
  // GEMM pads tokens to a 16-wide panel (AVX-512), so below ~10 tokens it
  // costs more than DotRows (F16 file, 2 threads: DotRows 73 / 76 tokens/s
  // at 4 / 16 sequences, the GEMM 34 / 123).
  constexpr int64_t kTileMinTokens = 4;
  constexpr int64_t kDecodeTileMinTokens = 10;
  auto tiled_for = [&](const Weight& w) {
    if (decode_batch_ && UsesQuantizedActivations(w.type)) return false;
    if (decode_batch_) return n_tokens >= kDecodeTileMinTokens;
    return n_tokens >= kTileMinTokens;
  };
  bool quantized = false;
  bool tiled_float = false;
  bool tiled_integer = false;
  bool tiled_bf16 = false;
  for (const MatOut& o : outs) {
    const bool tiled = tiled_for(*o.w);
    const bool integer = gemm_.Integer(o.w->type);
    const bool bf16 = gemm_.Bf16(o.w->type, n);
    tiled_float |= tiled && !integer && !bf16;
    tiled_integer |= tiled && integer;
    tiled_bf16 |= tiled && bf16;
    quantized |= !tiled && UsesQuantizedActivations(o.w->type);
  }
  // Names this product's 8-bit activations for the kernels, which may then
  // arrange them once per thread instead of once per piece of rows.
  const uint64_t xq_id = quantized ? NewActivationsId() : 0;
  if (quantized) {
    const int64_t nb = n / 32;
    for (int64_t t = 0; t < n_tokens; ++t) {
      QuantizeActivations(x + t * n, n, xq_.data() + t * nb);
    }
  }
  if (tiled_float || tiled_integer || tiled_bf16) {
    using A = Gemm::Activations;
    A which = static_cast<A>(0);
    if (tiled_float) which = which | A::kFloat;
    if (tiled_integer) which = which | A::kInteger;
    if (tiled_bf16) which = which | A::kBf16;
    gemm_.Pack(x, n_tokens, n, which);
  }
  // Register blocks of rows of all weights, numbered consecutively, split
  // into tasks: one parallel loop (one barrier) for e.g. q, k and v together.
  const int64_t block = gemm_.row_block();
  int64_t groups = 0;
  for (const MatOut& o : outs) groups += (o.w->rows + block - 1) / block;
  const BlockQ8Act* xq = xq_.data();
  auto rows_of = [&](const Weight& w, float* y, int64_t r_begin, int64_t r_end,
                     int thread) {
    const int64_t rows = w.rows;
    if (!tiled_for(w)) {
      DotWeightRows(w.type, w.row(r_begin), w.row_bytes, r_end - r_begin, x, xq,
                    n, n_tokens, y + r_begin, rows, xq_id);
      return;
    }
    gemm_.Rows(w, r_begin, r_end, thread, y);
  };
  // Groups [g0, g1) of the weights' row blocks, numbered across `outs`.
  auto run_groups = [&](int64_t g0, int64_t g1, int thread) {
    int64_t offset = 0;
    for (const MatOut& o : outs) {
      const int64_t own = (o.w->rows + block - 1) / block;
      const int64_t a = std::max(g0, offset);
      const int64_t b = std::min(g1, offset + own);
      if (a < b) {
        rows_of(*o.w, o.y, (a - offset) * block,
                std::min(o.w->rows, (b - offset) * block), thread);
      }
      offset += own;
    }
  };
  if (!tiled_float && !tiled_integer && !tiled_bf16) {
    // Row-by-row products (decode) are bound by memory bandwidth: each
    // thread reads one contiguous share of the rows as one stream, and one
    // done early takes pieces of kStealGroups blocks from the back of the
    // others', so neither waits at the join while the other works. Against
    // 2 fixed tasks per thread (one token) and 8 (batches), runs
    // alternating in one process, 2 threads, AVX-512: one token Q4_0 +2.5%
    // (9 of 12 rounds), Q6_K +5.7% (12 of 12), Q8_0 +2% (9 of 10), Q4_K_M
    // +1% (7 of 10); 4 sequences Q4_K_M +8% (6 of 6); 16 level.
    constexpr int64_t kStealGroups = 2;
    pool_->ParallelRange(groups, kStealGroups, run_groups);
    return;
  }
  // The GEMM is compute-bound: 8 tasks per thread balance it.
  const int64_t tasks =
      std::min<int64_t>(groups, int64_t{pool_->parallelism()} * 8);
  pool_->ParallelFor(static_cast<int>(tasks), [&](int task, int thread) {
    run_groups(groups * task / tasks, groups * (task + 1) / tasks, thread);
  });
}

void Transformer::Attention(absl::Span<const BatchToken> tokens,
                            absl::Span<SequenceKv* const> sequences,
                            KvCache* cache, int64_t layer) {
  const ModelConfig& c = model_->config();
  const int64_t group = c.n_heads / c.n_kv_heads;
  AttentionParams params;
  params.head_dim = c.head_dim;
  params.scale = c.attn_scale > 0
                     ? c.attn_scale
                     : 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  params.softcap = c.attn_softcap;
  // Sliding layers see the last `sliding_window` positions, their own
  // included.
  const int64_t window = c.is_sliding(layer) ? c.sliding_window : 0;
  // A task attends `per_pass` heads of one group (reading their kv head's
  // rows once); smaller passes when there would be too few tasks to keep
  // the threads busy. Each head's arithmetic is the same either way.
  const int64_t T = static_cast<int64_t>(tokens.size());
  int64_t per_pass = std::min(group, kMaxHeadsPerPass);
  auto passes = [&] { return (group + per_pass - 1) / per_pass; };
  while (per_pass > 1 &&
         T * c.n_kv_heads * passes() < 2 * pool_->parallelism()) {
    per_pass = (per_pass + 1) / 2;
  }
  const int64_t per_group = passes();
  const int64_t tasks = T * c.n_kv_heads * per_group;
  auto body = [&](int task, int) {
    const int64_t t = task / (c.n_kv_heads * per_group);
    const int64_t kv_head = task / per_group % c.n_kv_heads;
    const int64_t h0 = kv_head * group + task % per_group * per_pass;
    const int64_t n_heads = std::min(per_pass, (kv_head + 1) * group - h0);
    const BatchToken& bt = tokens[t];
    const int64_t first =
        window > 0 ? std::max<int64_t>(0, bt.position + 1 - window) : 0;
    const int64_t offset = t * c.q_dim() + h0 * c.head_dim;
    AttendHeads(*cache, *sequences[bt.sequence], layer, kv_head,
                q_.data() + offset, n_heads, first, bt.position, params,
                att_.data() + offset);
  };
  pool_->ParallelFor(static_cast<int>(tasks), body);
}

void Transformer::PostNorm(const float* weight, int64_t n_tokens) {
  if (weight == nullptr) return;
  const ModelConfig& c = model_->config();
  for (int64_t t = 0; t < n_tokens; ++t) {
    float* row = xn_.data() + t * c.dim;
    RmsNorm(row, weight, c.dim, c.rms_eps, row);
  }
}

absl::Status Transformer::Forward(absl::Span<const BatchToken> tokens,
                                  absl::Span<SequenceKv* const> sequences,
                                  KvCache* cache, float* logits) {
  const ModelConfig& c = model_->config();
  const int64_t T = static_cast<int64_t>(tokens.size());
  if (T == 0) return absl::OkStatus();
  if (T > options_.max_batch_tokens) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("batch of ", T, " tokens exceeds max_batch_tokens ",
                      options_.max_batch_tokens)));
  }
  const int64_t block = cache->options().block_tokens;
  if (cache->options().n_layers != c.n_layers ||
      cache->options().kv_dim != c.kv_dim() ||
      (cache->options().type == GgmlType::kQ8_0 && c.head_dim % 32 != 0)) {
    return absl::InvalidArgumentError(
        "KV cache shape or type does not fit the model");
  }
  for (const BatchToken& bt : tokens) {
    if (bt.sequence < 0 || bt.sequence >= static_cast<int>(sequences.size())) {
      return absl::InvalidArgumentError("batch token names no sequence");
    }
    if (bt.token < 0 || bt.token >= c.n_vocab) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("token id ", bt.token, " outside vocabulary")));
    }
    const SequenceKv& seq = *sequences[bt.sequence];
    if (bt.position < 0 || bt.position >= options_.max_context ||
        bt.position / block >= static_cast<int64_t>(seq.blocks.size())) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("position ", bt.position,
                        " has no KV cache room or exceeds the context")));
    }
  }

  // Decode steps only: no sequence has two tokens in this batch.
  constexpr int64_t kMaxDecodeBatch = 64;
  decode_batch_ = T <= kMaxDecodeBatch;
  for (int64_t a = 0; decode_batch_ && a < T; ++a) {
    for (int64_t b = a + 1; b < T; ++b) {
      if (tokens[a].sequence == tokens[b].sequence) {
        decode_batch_ = false;
        break;
      }
    }
  }

  // Embeddings and rotary tables.
  const int64_t half = c.rope_dims / 2;
  auto rope_table = [&](const std::vector<float>& inv_freq, float mscale,
                        float* cos, float* sin) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t i = 0; i < half; ++i) {
        const double theta =
            static_cast<double>(tokens[t].position) * inv_freq[i];
        cos[t * half + i] = static_cast<float>(std::cos(theta) * mscale);
        sin[t * half + i] = static_cast<float>(std::sin(theta) * mscale);
      }
    }
  };
  // LongRoPE: the long factors when this transformer's context exceeds the
  // original one.
  const bool long_rope =
      c.rope_long_context > 0 && options_.max_context > c.rope_long_context;
  rope_table(long_rope ? model_->rope_inv_freq_long() : model_->rope_inv_freq(),
             c.rope_mscale, rope_cos_.data(), rope_sin_.data());
  if (c.swa_rope_unscaled) {
    rope_table(model_->rope_inv_freq(true), 1.0f, rope_cos_swa_.data(),
               rope_sin_swa_.data());
  }
  for (int64_t t = 0; t < T; ++t) {
    const Weight& e = model_->token_embedding();
    float* x = x_.data() + t * c.dim;
    DequantizeRow(e.type, e.row(tokens[t].token), c.dim, x);
    if (c.embed_scale != 1.0f) {
      for (int64_t i = 0; i < c.dim; ++i) x[i] *= c.embed_scale;
    }
  }

  for (int64_t l = 0; l < c.n_layers; ++l) {
    const LayerWeights& L = model_->layers()[l];
    const bool own_rope = c.swa_rope_unscaled && c.is_sliding(l);
    const float* layer_cos = own_rope ? rope_cos_swa_.data() : rope_cos_.data();
    const float* layer_sin = own_rope ? rope_sin_swa_.data() : rope_sin_.data();
    for (int64_t t = 0; t < T; ++t) {
      RmsNorm(x_.data() + t * c.dim, L.attn_norm, c.dim, c.rms_eps,
              xn_.data() + t * c.dim);
    }
    MatMul({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}},
           xn_.data(), T);
    for (int64_t t = 0; t < T; ++t) {
      float* q = q_.data() + t * c.q_dim();
      float* k = k_.data() + t * c.kv_dim();
      float* v = v_.data() + t * c.kv_dim();
      if (c.qkv_bias) {
        for (int64_t i = 0; i < c.q_dim(); ++i) q[i] += L.bq[i];
        for (int64_t i = 0; i < c.kv_dim(); ++i) {
          k[i] += L.bk[i];
          v[i] += L.bv[i];
        }
      }
      if (c.qk_norm) {
        HeadRmsNorm(q, c.n_heads, c.head_dim, L.q_norm, c.rms_eps);
        HeadRmsNorm(k, c.n_kv_heads, c.head_dim, L.k_norm, c.rms_eps);
      }
      const float* cs = layer_cos + t * half;
      const float* sn = layer_sin + t * half;
      Rope(q, c.n_heads, c.head_dim, c.rope_dims, c.rope_neox, cs, sn);
      Rope(k, c.n_kv_heads, c.head_dim, c.rope_dims, c.rope_neox, cs, sn);
      const SequenceKv& seq = *sequences[tokens[t].sequence];
      cache->StoreKey(seq, l, tokens[t].position, k);
      cache->StoreValue(seq, l, tokens[t].position, v);
    }
    Attention(tokens, sequences, cache, l);
    MatMul({{&L.wo, xn_.data()}}, att_.data(), T);
    PostNorm(L.attn_post_norm, T);
    for (int64_t i = 0; i < T * c.dim; ++i) x_[i] += xn_[i];

    for (int64_t t = 0; t < T; ++t) {
      RmsNorm(x_.data() + t * c.dim, L.ffn_norm, c.dim, c.rms_eps,
              xn_.data() + t * c.dim);
    }
    MatMul({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, xn_.data(), T);
    GatedActivation(c.ffn_activation, gate_.data(), up_.data(), T * c.ffn_dim);
    MatMul({{&L.w_down, xn_.data()}}, gate_.data(), T);
    PostNorm(L.ffn_post_norm, T);
    for (int64_t i = 0; i < T * c.dim; ++i) x_[i] += xn_[i];
  }

  // Final norm and output head for the tokens that want logits only.
  int64_t n_out = 0;
  for (int64_t t = 0; t < T; ++t) {
    if (!tokens[t].want_logits) continue;
    RmsNorm(x_.data() + t * c.dim, model_->output_norm(), c.dim, c.rms_eps,
            xn_.data() + n_out * c.dim);
    ++n_out;
  }
  MatMul({{&model_->output(), logits}}, xn_.data(), n_out);
  if (c.final_softcap > 0) SoftCap(logits, n_out * c.n_vocab, c.final_softcap);
  for (const BatchToken& bt : tokens) {
    SequenceKv& seq = *sequences[bt.sequence];
    seq.length = std::max<int64_t>(seq.length, bt.position + 1);
  }
  return absl::OkStatus();
}

}  // namespace inferd::llm
