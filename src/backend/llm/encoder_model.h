#pragma once

// A BERT-style text encoder loaded from a GGUF file, for embeddings:
// hyperparameters, the WordPiece tokenizer and weight views into the mapped
// file. Two architectures, with llama.cpp's tensor and metadata names:
//
//   bert        token + position (position_embd) + token-type embeddings,
//               LayerNorm (token_embd_norm); per layer q/k/v with biases,
//               attn_output with bias, post-norm attn_output_norm, FFN
//               ffn_up (+bias) -> GELU (erf) -> ffn_down (+bias), post-norm
//               layer_output_norm. (BERT, MiniLM, bge, e5, ...)
//   nomic-bert  no position embeddings: rotary (NeoX layout, base
//               nomic-bert.rope.freq_base) on q and k; fused attn_qkv
//               (bias optional), attn_output without bias, SwiGLU FFN
//               (silu(ffn_gate) * ffn_up -> ffn_down, no biases); the same
//               post-norms. (nomic-embed-text v1 / v1.5)
//
// Attention is bidirectional over one text; there is no KV cache. Metadata:
// {arch}.embedding_length, block_count, feed_forward_length,
// attention.head_count, attention.layer_norm_epsilon, context_length,
// pooling_type (1 mean, 2 cls; absent or 0: mean), rope.freq_base
// (nomic-bert). Token-type row 0 is added to every token (one segment), as
// llama.cpp does. Weights are used in place from the mapping, any type the
// kernels multiply (tensor_views.h); norms and biases are F32.
//
// Thread-safety: immutable after Load(); safe to share across threads.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/llm/gguf_file.h"
#include "backend/llm/model.h"
#include "text/tokenizer.h"

namespace inferd::llm {

// Whether `arch` (general.architecture) names an encoder this file loads.
bool IsEncoderArchitecture(std::string_view arch);

struct EncoderConfig {
  enum class Pooling { kMean, kCls };

  std::string arch;  // "bert" | "nomic-bert"
  int64_t n_vocab = 0;
  int64_t dim = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn_dim = 0;
  int64_t context_length = 0;  // longest text in tokens, specials included
  float norm_eps = 1e-12f;
  Pooling pooling = Pooling::kMean;
  bool rope = false;  // nomic-bert: rotary q/k instead of position_embd
  float rope_base = 10000.0f;
  bool gated_ffn = false;  // nomic-bert: SwiGLU; bert: GELU
};

struct EncoderLayerWeights {
  Weight wq, wk, wv, wo;
  const float* bq = nullptr;  // biases: null when the architecture has none
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* bo = nullptr;
  const float* attn_norm = nullptr;  // attn_output_norm, weight and bias
  const float* attn_norm_b = nullptr;
  Weight w_up, w_gate, w_down;  // w_gate: gated_ffn only
  const float* b_up = nullptr;
  const float* b_down = nullptr;
  const float* out_norm = nullptr;  // layer_output_norm
  const float* out_norm_b = nullptr;
};

class EncoderModel {
 public:
  // InvalidArgument naming the metadata key or tensor that does not fit.
  static absl::StatusOr<std::unique_ptr<EncoderModel>> Load(
      const std::string& path);
  static absl::StatusOr<std::unique_ptr<EncoderModel>> FromFile(
      std::unique_ptr<GgufFile> file);

  const EncoderConfig& config() const { return config_; }
  // Shared with the text pipeline that tokenizes requests for this model.
  const std::shared_ptr<const text::Tokenizer>& tokenizer() const {
    return tokenizer_;
  }
  const Weight& token_embedding() const { return token_embd_; }
  // bert only: one row per position (rows == context_length or more).
  const Weight& position_embedding() const { return position_embd_; }
  // Token-type row 0, or empty when the file has no token_types.
  const std::vector<float>& token_type_row() const { return type_row_; }
  const float* embed_norm() const { return embd_norm_; }
  const float* embed_norm_bias() const { return embd_norm_b_; }
  const std::vector<EncoderLayerWeights>& layers() const { return layers_; }
  // nomic-bert: the angle per position of each rotated pair.
  const std::vector<float>& rope_inv_freq() const { return inv_freq_; }
  const GgufFile& file() const { return *file_; }

 private:
  EncoderModel() = default;
  absl::Status Init();

  std::unique_ptr<GgufFile> file_;
  std::shared_ptr<const text::Tokenizer> tokenizer_;
  EncoderConfig config_;
  Weight token_embd_, position_embd_;
  std::vector<float> type_row_;
  const float* embd_norm_ = nullptr;
  const float* embd_norm_b_ = nullptr;
  std::vector<EncoderLayerWeights> layers_;
  std::vector<float> inv_freq_;
};

}  // namespace inferd::llm
