#pragma once

// The forward pass of an encoder (encoder_model.h: bert, nomic-bert) over a
// batch of texts: token ids in, each token's final hidden state out (the
// pipeline pools and normalises them). Every matrix product runs once for
// all tokens of the batch (MatMul, split across the thread pool); attention
// runs per (token, head) over the token's own text, both ways. A text's
// states do not depend on the other texts of its batch, up to float
// rounding.
//
// Thread-safety: not thread-safe; one Forward() at a time (it uses the pool
// and its own scratch). The model and pool must outlive the Encoder.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backend/llm/encoder_model.h"
#include "backend/llm/matmul.h"
#include "common/thread_pool.h"

namespace inferd::llm {

class Encoder {
 public:
  // `model` and `pool` are not owned.
  Encoder(const EncoderModel* model, ThreadPool* pool);

  // Runs `texts` (token ids each, 1..context_length of them) together and
  // writes the hidden states of all their tokens, text after text, dim
  // floats each, to `states` (sum of the lengths x dim). InvalidArgument for
  // an empty or too long text or an id outside the vocabulary. Scratch
  // grows to the largest batch seen.
  absl::Status Forward(absl::Span<const absl::Span<const int32_t>> texts,
                       float* states);

  const EncoderModel& model() const { return *model_; }

 private:
  void Attention(int64_t n_tokens);

  const EncoderModel* model_;
  ThreadPool* pool_;
  MatMul matmul_;
  // Per token: the text it belongs to (first token and length).
  std::vector<int64_t> text_begin_, text_length_;
  std::vector<float> q_, k_, v_, att_, proj_, up_, gate_, cos_, sin_;
  std::vector<std::vector<float>> scores_;  // per thread
};

}  // namespace inferd::llm
