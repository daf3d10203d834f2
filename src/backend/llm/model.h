#pragma once

// A decoder-only language model loaded from a GGUF file: hyperparameters,
// tokenizer and weight views into the mapped file.
//
// The architectures (llama, qwen2, qwen3, gemma2, gemma3, phi3) and their
// metadata are in arch.h, RoPE scaling in rope_scaling.h. Fused matrices
// (phi3's attn_qkv and gate/up ffn_up) become views of their row ranges, so
// the forward pass sees separate q/k/v and gate/up weights. Weights are used
// in place from the mapping: F32,
// F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K. Load() checks every tensor's presence,
// type and shape against the hyperparameters and names the first one that does
// not fit.
//
// Thread-safety: immutable after Load(); safe to share across threads.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/llm/ggml_type.h"
#include "backend/llm/gguf_file.h"
#include "backend/llm/rope_scaling.h"
#include "text/gguf_tokenizer.h"

namespace inferd::llm {

struct ModelConfig {
  std::string arch;
  int64_t n_vocab = 0;  // rows of the embedding / output matrices
  int64_t dim = 0;      // residual width
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;
  int64_t head_dim = 0;
  int64_t ffn_dim = 0;
  int64_t context_length = 0;
  int64_t rope_dims = 0;  // leading dims of each head that rotate
  float rope_base = 10000.0f;
  RopeScaling rope_scaling;  // linear / YaRN context extension
  float rms_eps = 1e-5f;
  bool rope_neox = false;  // pairs (i, i + d/2) instead of (2i, 2i + 1)
  bool qkv_bias = false;
  bool tied_output = false;
  // Per-architecture features (arch.h); defaults are llama's.
  enum class Activation { kSilu, kGeluTanh };
  Activation ffn_activation = Activation::kSilu;  // of the gate, times up
  float embed_scale = 1.0f;    // token embeddings are multiplied by it
  float attn_scale = 0.0f;     // q.k factor; 0: 1/sqrt(head_dim)
  float attn_softcap = 0.0f;   // scores -> c*tanh(s/c); 0: none
  float final_softcap = 0.0f;  // logits -> c*tanh(l/c); 0: none
  bool qk_norm = false;        // RMS norm of each q and k head (before RoPE)
  bool post_norms = false;     // RMS norm of attention and FFN outputs
  int64_t sliding_window = 0;  // sliding layers see this many positions
  std::vector<bool> sliding;   // per layer: uses the window
  bool swa_rope_unscaled = false;  // sliding layers: base rope_base_swa,
  float rope_base_swa = 10000.0f;  // no scaling (gemma3)
  float rope_mscale = 1.0f;        // cos/sin factor (YaRN, LongRoPE)
  // LongRoPE (Phi-3 128k, Phi-3.5, Phi-4-mini): contexts longer than this
  // use rope_inv_freq_long(); 0: no long factors.
  int64_t rope_long_context = 0;

  bool is_sliding(int64_t layer) const {
    return sliding_window > 0 && sliding[layer];
  }

  int64_t q_dim() const { return n_heads * head_dim; }
  int64_t kv_dim() const { return n_kv_heads * head_dim; }
};

// A 2-D weight matrix in the mapped file: `rows` rows of `cols` values.
struct Weight {
  GgmlType type = GgmlType::kF32;
  const uint8_t* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t row_bytes = 0;
  const uint8_t* row(int64_t r) const { return data + r * row_bytes; }
};

struct LayerWeights {
  const float* attn_norm = nullptr;
  Weight wq, wk, wv, wo;
  const float* bq = nullptr;
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* ffn_norm = nullptr;
  Weight w_gate, w_up, w_down;
  const float* q_norm = nullptr;  // [head_dim], qk_norm
  const float* k_norm = nullptr;
  const float* attn_post_norm = nullptr;  // [dim], post_norms
  const float* ffn_post_norm = nullptr;
};

class Model {
 public:
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& path);
  // For tests and tools that already hold the parsed file.
  static absl::StatusOr<std::unique_ptr<Model>> FromFile(
      std::unique_ptr<GgufFile> file);

  const ModelConfig& config() const { return config_; }
  const text::GgufTokenizer& tokenizer() const { return *tokenizer_; }
  const Weight& token_embedding() const { return token_embd_; }
  const Weight& output() const { return output_; }
  const float* output_norm() const { return output_norm_; }
  const std::vector<LayerWeights>& layers() const { return layers_; }
  // Per rotated pair i: the angle per position (rope_scaling.h); sliding
  // layers have their own table when the architecture says so.
  const std::vector<float>& rope_inv_freq(bool sliding = false) const {
    return sliding && config_.swa_rope_unscaled ? inv_freq_swa_ : inv_freq_;
  }
  // LongRoPE's table for contexts over rope_long_context (else empty).
  const std::vector<float>& rope_inv_freq_long() const {
    return inv_freq_long_;
  }
  // Bytes of weights read for one decoded token (every matrix once).
  int64_t weight_bytes_per_token() const;
  const GgufFile& file() const { return *file_; }

 private:
  Model() = default;
  absl::Status Init();

  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<text::GgufTokenizer> tokenizer_;
  ModelConfig config_;
  Weight token_embd_;
  Weight output_;
  const float* output_norm_ = nullptr;
  std::vector<LayerWeights> layers_;
  std::vector<float> inv_freq_, inv_freq_swa_, inv_freq_long_;
};

}  // namespace inferd::llm
