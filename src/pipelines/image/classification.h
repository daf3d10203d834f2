#pragma once

// Image-classification post-processing: the top-k classes of one image's
// output row, as probabilities (softmax over logits, or the model's own
// probabilities), with their labels.
// Pure functions; thread-safe.

#include <string>
#include <vector>

#include "absl/types/span.h"

namespace inferd::pipelines {

struct ClassScore {
  int class_id = 0;
  float score = 0;
};

// Softmax (numerically stable) when `apply_softmax`, else the values as
// they are; then the `top_k` highest, best first, ties by lower class id.
std::vector<ClassScore> TopKClasses(absl::Span<const float> values, int top_k,
                                    bool apply_softmax);

// labels[class_id] when present, else the class id in decimal.
std::string LabelOf(const std::vector<std::string>& labels, int class_id);

}  // namespace inferd::pipelines
