#pragma once

// The transformer architectures the engine runs and how each one's GGUF
// metadata maps onto ModelConfig: hyperparameters, RoPE layout and scaling,
// per-architecture features (biases, per-head q/k norms, post-norms, GeGLU,
// soft-capping, sliding-window layers).
//
//   llama   Llama 2/3/3.1, TinyLlama, SmolLM, Mistral (sliding window when
//           `llama.attention.sliding_window` is set: every layer)
//   qwen2   NeoX RoPE, q/k/v biases
//   qwen3   NeoX RoPE, RMS norm of each q and k head
//   gemma2  NeoX RoPE, embeddings scaled by sqrt(dim), GeGLU (tanh GELU),
//           post-attention and post-FFN norms, attention and final logit
//           soft-capping, even layers sliding-window
//   gemma3  as gemma2 without soft-capping, with per-head q/k norms; five
//           sliding layers (RoPE base 10000, unscaled) to one global
//   phi3    NeoX RoPE (partial when rope.dimension_count < head dim), fused
//           qkv and gate/up matrices (Model splits them into views),
//           LongRoPE factor tensors (Model reads them)
//
// GGUF norm weights already hold Gemma's "1 + w" (the converter adds it), so
// every architecture uses the plain RMS norm. Anything else is refused,
// naming the architecture.
//
// Thread-safety: pure functions.

#include "absl/status/status.h"
#include "backend/llm/gguf_file.h"

namespace inferd::llm {

struct ModelConfig;

// Fills everything of `config` that comes from metadata (not n_vocab, which
// the embedding's shape gives). InvalidArgument names the key or the value.
absl::Status ReadArchitecture(const GgufFile& file, ModelConfig* config);

// "llama, qwen2, ..." for messages.
const char* SupportedArchitectures();

}  // namespace inferd::llm
