#pragma once

// Chooses the next token from a row of logits.
//
// Order of operations (as llama.cpp and Ollama apply them): logit bias,
// then the grammar's mask of allowed tokens, then repetition,
// presence and frequency penalties over the last `repeat_last_n` tokens;
// then greedy argmax when temperature <= 0, otherwise top-k, softmax at the
// temperature, top-p (nucleus), min-p, and a draw from a seeded generator, so
// a fixed seed reproduces the same text. Buffers are sized once for the
// vocabulary: sampling allocates nothing.
//
// Thread-safety: not thread-safe; one Sampler per sequence.

#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace inferd::llm {

struct SamplingParams {
  float temperature = 0.8f;     // <= 0: greedy
  int32_t top_k = 40;           // <= 0: whole vocabulary
  float top_p = 0.95f;          // 1: off
  float min_p = 0.05f;          // 0: off; relative to the top probability
  float repeat_penalty = 1.0f;  // 1: off; >1 discourages repeats
  int32_t repeat_last_n = 64;   // window for all three penalties
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  uint64_t seed = 0;  // same seed, same choices
  // Added to the logits of the given token ids before anything else (OpenAI's
  // logit_bias); ids outside the vocabulary are ignored.
  std::vector<std::pair<int32_t, float>> logit_bias;
};

// A token and its log-probability.
struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0;
};

// The log-probability of `chosen` under softmax(logits) and, in `top`, the
// `k` most likely tokens (most likely first; ties by id). O(n_vocab + k log k).
float TokenLogprobs(const float* logits, int32_t n_vocab, int32_t chosen, int32_t k,
                    std::vector<TokenLogprob>* top);

// InvalidArgument naming the field when a value is out of range.
absl::Status ValidateSamplingParams(const SamplingParams& params);

class Sampler {
 public:
  Sampler(const SamplingParams& params, int32_t n_vocab);

  // Picks a token from `logits` (n_vocab values, modified in place by the
  // bias, the mask and the penalties). `allowed`, when given, is a bit mask
  // over the vocabulary (bit id % 64 of word id / 64; at least one set):
  // other tokens are set to -inf right after the logit bias (constrained
  // decoding). Does not record it; call Accept() with the token kept.
  int32_t Sample(float* logits, const uint64_t* allowed = nullptr);
  // Adds `token` to the penalty window (prompt tokens too).
  void Accept(int32_t token);

 private:
  struct Candidate {
    float logit;
    int32_t id;
  };
  SamplingParams params_;
  int32_t n_vocab_;
  std::mt19937_64 rng_;
  std::vector<Candidate> candidates_;
  std::vector<int32_t> window_;  // ring buffer of recent tokens
  size_t window_next_ = 0;
  size_t window_size_ = 0;
  std::vector<int32_t> counts_;  // occurrences in the window
};

}  // namespace inferd::llm
