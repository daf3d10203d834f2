#pragma once

// The forward pass of a decoder-only model (architectures in arch.h) over a batch of tokens from many
// sequences: prompt chunks and single decode tokens mixed in one call.
//
// Every matrix product runs once for the whole batch (weights are read from
// memory once per step, not once per sequence), split over output rows across
// the thread pool; attention (attention.h: one pass, online softmax) runs per
// token and group of query heads sharing a kv head, against that token's own
// sequence in the block KV cache. All scratch memory is sized at Create() for
// `max_batch_tokens`, so Forward() allocates nothing.
//
// Thread-safety: not thread-safe; one Forward() at a time (it uses the pool
// and its own scratch). The Model must outlive the Transformer.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backend/llm/gemm.h"
#include "backend/llm/kernels.h"
#include "backend/llm/kv_cache.h"
#include "backend/llm/model.h"
#include "common/thread_pool.h"

namespace inferd::llm {

// One token of a batch.
struct BatchToken {
  int32_t token = 0;
  int32_t position = 0;  // position within its sequence
  int32_t sequence = 0;  // index into Forward()'s `sequences`
  bool want_logits = false;
};

class Transformer {
 public:
  struct Options {
    int64_t max_batch_tokens = 256;  // tokens per Forward() call
    int64_t max_context = 0;         // 0: the model's context length
  };
  // `model` and `pool` are not owned and must outlive the Transformer.
  static absl::StatusOr<std::unique_ptr<Transformer>> Create(const Model* model,
                                                             ThreadPool* pool,
                                                             Options options);

  // Runs `tokens`; writes each token's keys/values into its sequence at its
  // position and attends over positions [0, position]. Tokens of a sequence
  // must come in position order with earlier positions already cached, and
  // the sequence must have room (KvCache::Reserve) for them. Writes one row
  // of n_vocab logits per token with want_logits, in batch order, to
  // `logits`. InvalidArgument for a batch that breaks these rules.
  absl::Status Forward(absl::Span<const BatchToken> tokens,
                       absl::Span<SequenceKv* const> sequences, KvCache* cache,
                       float* logits);

  int64_t max_batch_tokens() const { return options_.max_batch_tokens; }
  int64_t max_context() const { return options_.max_context; }
  const Model& model() const { return *model_; }

 private:
  Transformer(const Model* model, ThreadPool* pool, Options options);
  // For each output: y[t][r] = w.row(r) . x[t] for t < n_tokens; x rows
  // have w.cols values (the same for all outputs). One parallel loop.
  struct MatOut {
    const Weight* w;
    float* y;
  };
  void MatMul(std::initializer_list<MatOut> outs, const float* x,
              int64_t n_tokens);
  // RMS norm of the first n_tokens rows of xn_ (a sublayer's output) in
  // place, when the architecture has one (weight not null).
  void PostNorm(const float* weight, int64_t n_tokens);
  void Attention(absl::Span<const BatchToken> tokens,
                 absl::Span<SequenceKv* const> sequences, KvCache* cache,
                 int64_t layer);

  const Model* model_;
  ThreadPool* pool_;
  Options options_;
  // The current Forward() batch holds at most one token per sequence.
  bool decode_batch_ = false;
  // Scratch, [max_batch_tokens x width] each.
  std::vector<float> x_, xn_, q_, k_, v_, att_, gate_, up_, rope_cos_,
      rope_sin_, rope_cos_swa_, rope_sin_swa_;
  std::vector<BlockQ8Act> xq_;
  // Prompt chunks' products: packed tokens, per-thread decoded weights.
  Gemm gemm_;
};

}  // namespace inferd::llm
