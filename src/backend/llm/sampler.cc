#include "backend/llm/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/strings.h"

namespace inferd::llm {

absl::Status ValidateSamplingParams(const SamplingParams& p) {
  auto bad = [](const char* field, auto value, const char* rule) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat(field, " = ", value, ": ", rule)));
  };
  if (!(p.temperature >= 0) || p.temperature > 100) {
    return bad("temperature", p.temperature, "must be in [0, 100]");
  }
  if (!(p.top_p > 0 && p.top_p <= 1)) {
    return bad("top_p", p.top_p, "must be in (0, 1]");
  }
  if (!(p.min_p >= 0 && p.min_p <= 1)) {
    return bad("min_p", p.min_p, "must be in [0, 1]");
  }
  if (!(p.repeat_penalty > 0)) {
    return bad("repeat_penalty", p.repeat_penalty, "must be positive");
  }
  if (p.repeat_last_n < 0) {
    return bad("repeat_last_n", p.repeat_last_n, "must be >= 0");
  }
  for (const auto& [id, bias] : p.logit_bias) {
    if (std::isnan(bias)) return bad("logit_bias", id, "bias must be a number");
  }
  if (!std::isfinite(p.presence_penalty) ||
      !std::isfinite(p.frequency_penalty)) {
    return absl::InvalidArgumentError("penalties must be finite");
  }
  return absl::OkStatus();
}

Sampler::Sampler(const SamplingParams& params, int32_t n_vocab)
    : params_(params),
      n_vocab_(n_vocab),
      rng_(params.seed),
      candidates_(n_vocab),
      window_(std::max(params.repeat_last_n, 0)),
      counts_(n_vocab, 0) {}

void Sampler::Accept(int32_t token) {
  if (window_.empty() || token < 0 || token >= n_vocab_) return;
  if (window_size_ == window_.size()) {
    --counts_[window_[window_next_]];
  } else {
    ++window_size_;
  }
  window_[window_next_] = token;
  ++counts_[token];
  window_next_ = (window_next_ + 1) % window_.size();
}

int32_t Sampler::Sample(float* logits, const uint64_t* allowed) {
  const SamplingParams& p = params_;
  for (const auto& [id, bias] : p.logit_bias) {
    if (id >= 0 && id < n_vocab_) logits[id] += bias;
  }
  if (allowed != nullptr) {
    constexpr float kRefused = -std::numeric_limits<float>::infinity();
    for (int32_t w = 0; w * 64 < n_vocab_; ++w) {
      const uint64_t bits = allowed[w];
      if (bits == ~uint64_t{0}) continue;
      const int32_t end = std::min(n_vocab_, (w + 1) * 64);
      for (int32_t i = w * 64; i < end; ++i) {
        if (!((bits >> (i & 63)) & 1)) logits[i] = kRefused;
      }
    }
  }
  const bool penalize = p.repeat_penalty != 1.0f || p.presence_penalty != 0 ||
                        p.frequency_penalty != 0;
  if (penalize) {
    // Each distinct token in the window once.
    for (size_t k = 0; k < window_size_; ++k) {
      const int32_t id = window_[k];
      const int32_t count = counts_[id];
      if (count <= 0) continue;
      bool first = true;
      for (size_t j = 0; j < k; ++j) {
        if (window_[j] == id) {
          first = false;
          break;
        }
      }
      if (!first) continue;
      float& l = logits[id];
      l = l > 0 ? l / p.repeat_penalty : l * p.repeat_penalty;
      l -= count * p.frequency_penalty + p.presence_penalty;
    }
  }
  if (p.temperature <= 0) {
    return static_cast<int32_t>(std::max_element(logits, logits + n_vocab_) -
                                logits);
  }
  for (int32_t i = 0; i < n_vocab_; ++i) candidates_[i] = {logits[i], i};
  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t n = candidates_.size();
  if (p.top_k > 0 && static_cast<size_t>(p.top_k) < n) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + p.top_k,
                      candidates_.end(), by_logit);
    n = p.top_k;
  } else {
    std::sort(candidates_.begin(), candidates_.end(), by_logit);
  }
  // Masked tokens (-inf) are never drawn, not even by the fallback below.
  while (n > 1 && std::isinf(candidates_[n - 1].logit) && candidates_[n - 1].logit < 0) --n;
  // Softmax at the temperature; `logit` becomes the probability.
  const float max_logit = candidates_[0].logit;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const float e =
        std::exp((candidates_[i].logit - max_logit) / p.temperature);
    candidates_[i].logit = e;
    sum += e;
  }
  double kept = 0;
  size_t cut = n;
  const double min_prob = p.min_p * (candidates_[0].logit / sum);
  for (size_t i = 0; i < n; ++i) {
    const double prob = candidates_[i].logit / sum;
    if (i > 0 && prob < min_prob) {
      cut = i;
      break;
    }
    kept += candidates_[i].logit;
    if (kept / sum >= p.top_p) {
      cut = i + 1;
      break;
    }
  }
  std::uniform_real_distribution<double> uniform(0.0, kept);
  double r = uniform(rng_);
  for (size_t i = 0; i < cut; ++i) {
    r -= candidates_[i].logit;
    if (r <= 0) return candidates_[i].id;
  }
  return candidates_[cut - 1].id;
}

float TokenLogprobs(const float* logits, int32_t n_vocab, int32_t chosen, int32_t k,
                    std::vector<TokenLogprob>* top) {
  const float max_logit = *std::max_element(logits, logits + n_vocab);
  double sum = 0;
  for (int32_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i] - max_logit));
  const float log_norm = max_logit + static_cast<float>(std::log(sum));
  top->clear();
  k = std::clamp(k, 0, n_vocab);
  if (k > 0) {
    // The k best in a heap whose front is the worst of them: one pass, no
    // copy of the vocabulary.
    auto better = [](const TokenLogprob& a, const TokenLogprob& b) {
      return a.logprob > b.logprob || (a.logprob == b.logprob && a.token < b.token);
    };
    top->reserve(k);
    for (int32_t i = 0; i < n_vocab; ++i) {
      const TokenLogprob candidate{i, logits[i]};
      if (static_cast<int32_t>(top->size()) < k) {
        top->push_back(candidate);
        std::push_heap(top->begin(), top->end(), better);
      } else if (better(candidate, top->front())) {
        std::pop_heap(top->begin(), top->end(), better);
        top->back() = candidate;
        std::push_heap(top->begin(), top->end(), better);
      }
    }
    std::sort_heap(top->begin(), top->end(), better);
    for (TokenLogprob& t : *top) t.logprob -= log_norm;
  }
  return chosen >= 0 && chosen < n_vocab ? logits[chosen] - log_norm : 0.0f;
}

}  // namespace inferd::llm
