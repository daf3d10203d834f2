#pragma once

// Rotary position embedding frequencies: the base frequencies of each rotated
// pair, and the context-extension schemes GGUF files declare.
//
//  - linear (`rope.scaling.type = linear`, or the older `rope.scale_linear`):
//    positions divided by the factor.
//  - YaRN (`yarn`, with `rope.scaling.original_context_length`): pairs that
//    turn fewer than beta_slow (1) times over the original context are
//    interpolated by the factor, pairs that turn more than beta_fast (32)
//    times keep their frequency, a linear ramp in between; cos and sin are
//    multiplied by attn_factor * (1 + 0.1 ln factor). As llama.cpp and
//    Hugging Face compute it.
//  - llama 3.1: per-pair divisors in the `rope_freqs.weight` tensor (the
//    converter computes them from the factor and the low/high frequency
//    bounds), combined with any of the above.
//
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/llm/gguf_file.h"

namespace inferd::llm {

struct RopeScaling {
  enum class Type { kNone, kLinear, kYarn };
  Type type = Type::kNone;
  float factor = 1.0f;
  int64_t original_context = 0;  // YaRN
  float attn_factor = 1.0f;      // YaRN
  float beta_fast = 32.0f;       // YaRN
  float beta_slow = 1.0f;        // YaRN
};

// Reads `<prefix>rope.scaling.*`; a missing type is kNone. InvalidArgument
// names an unknown type or a bad factor.
absl::StatusOr<RopeScaling> ReadRopeScaling(const GgufFile& file,
                                            const std::string& prefix,
                                            int64_t context_length);

// Per rotated pair i of `rope_dims`: the angle per position, from
// base^(-2i/rope_dims) divided by factors[i] (when not null) and scaled as
// `scaling` says. `*mscale`: the factor for cos and sin.
std::vector<float> RopeInvFreq(int64_t rope_dims, double base,
                               const RopeScaling& scaling,
                               const float* factors, float* mscale);

}  // namespace inferd::llm
