#include "pipelines/image/classification.h"

#include <algorithm>
#include <cmath>

namespace inferd::pipelines {

std::vector<ClassScore> TopKClasses(absl::Span<const float> values, int top_k,
                                    bool apply_softmax) {
  std::vector<ClassScore> scores(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    scores[i] = {static_cast<int>(i), values[i]};
  }
  if (apply_softmax && !values.empty()) {
    const float max = *std::max_element(values.begin(), values.end());
    double sum = 0;
    for (ClassScore& s : scores) {
      s.score = std::exp(s.score - max);
      sum += s.score;
    }
    for (ClassScore& s : scores) s.score = static_cast<float>(s.score / sum);
  }
  const size_t k =
      std::min(scores.size(), static_cast<size_t>(std::max(0, top_k)));
  std::partial_sort(scores.begin(), scores.begin() + k, scores.end(),
                    [](const ClassScore& a, const ClassScore& b) {
                      return a.score > b.score ||
                             (a.score == b.score && a.class_id < b.class_id);
                    });
  scores.resize(k);
  return scores;
}

std::string LabelOf(const std::vector<std::string>& labels, int class_id) {
  if (class_id >= 0 && static_cast<size_t>(class_id) < labels.size()) {
    return labels[class_id];
  }
  return std::to_string(class_id);
}

}  // namespace inferd::pipelines
