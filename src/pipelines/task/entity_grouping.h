#pragma once

// Token-classification post-processing with Hugging Face's semantics
// (TokenClassificationPipeline): per-token label probabilities in, entities
// out, grouped as `aggregation_strategy` says:
//   none     every token whose best label is not ignored ("O"), with its
//            token index;
//   simple   consecutive tokens merge into one entity while their tags
//            continue it (I-X after B-X or I-X; a plain label "X" continues
//            "X"); B-X starts a new one;
//   first    tokens first merge into words (a token flagged `subword` joins
//   average  the word before it); a word takes the label of its first token,
//   max      of its averaged probabilities, or of its most confident token;
//            then words merge like `simple`.
// An entity's score is the mean of its members' scores; its span runs from
// the first member's start to the last member's end (in whatever unit the
// caller's spans use). Groups and tokens labelled with an ignored label are
// dropped at the end.
//
// Free functions over plain values; thread-compatible.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "text/normalized_text.h"

namespace inferd::pipelines {

enum class Aggregation { kNone, kSimple, kFirst, kAverage, kMax };

// "none", "simple", "first", "average", "max".
absl::StatusOr<Aggregation> ParseAggregation(const std::string& name);

// One non-special token of a text.
struct TokenScores {
  int64_t index = 0;                // position in the encoding
  text::Span span;                  // where the token lies in the text
  bool subword = false;             // continues the previous token's word
  std::vector<float> probabilities;  // one per label
};

struct Entity {
  std::string label;  // "B-PER" for kNone; the group, "PER", otherwise
  double score = 0;
  int64_t index = -1;  // token index (kNone only)
  text::Span span;
};

// Labels in `ignore` (usually {"O"}) never appear in the result.
// InvalidArgument when a token's probabilities do not match `labels`.
absl::StatusOr<std::vector<Entity>> GroupEntities(const std::vector<TokenScores>& tokens,
                                                  const std::vector<std::string>& labels,
                                                  Aggregation aggregation,
                                                  const std::vector<std::string>& ignore);

// Softmax of `logits` (numerically stable, in double).
std::vector<float> Softmax(const float* logits, size_t count);

}  // namespace inferd::pipelines
