#include "pipelines/task/pooling.h"

#include <cmath>

#include "common/strings.h"

namespace inferd::pipelines {

absl::StatusOr<Pooling> ParsePooling(const std::string& name) {
  if (name == "mean") return Pooling::kMean;
  if (name == "cls") return Pooling::kCls;
  return absl::InvalidArgumentError(
      StrCat("pooling \"", name, "\" is not one of mean, cls"));
}

absl::StatusOr<std::vector<float>> Pool(absl::Span<const float> states,
                                        absl::Span<const int32_t> mask, size_t dim,
                                        Pooling pooling) {
  const size_t tokens = mask.size();
  if (tokens == 0 || dim == 0) {
    return absl::InvalidArgumentError("pooling needs at least one token state");
  }
  if (states.size() != tokens * dim) {
    return absl::InvalidArgumentError(
        StrCat("pooling: ", states.size(), " state values for ", tokens,
               " tokens of dimension ", dim));
  }
  std::vector<float> pooled(dim, 0.0f);
  if (pooling == Pooling::kCls) {
    pooled.assign(states.begin(), states.begin() + dim);
    return pooled;
  }
  // Sums in double: a long sequence of float states loses digits otherwise.
  std::vector<double> sum(dim, 0.0);
  size_t counted = 0;
  for (size_t t = 0; t < tokens; ++t) {
    if (mask[t] == 0) continue;
    ++counted;
    const float* row = states.data() + t * dim;
    for (size_t d = 0; d < dim; ++d) sum[d] += row[d];
  }
  if (counted == 0) return pooled;
  for (size_t d = 0; d < dim; ++d) pooled[d] = static_cast<float>(sum[d] / counted);
  return pooled;
}

void L2Normalize(std::vector<float>& vector) {
  double squares = 0;
  for (float v : vector) squares += static_cast<double>(v) * v;
  if (squares == 0) return;
  const double scale = 1.0 / std::sqrt(squares);
  for (float& v : vector) v = static_cast<float>(v * scale);
}

}  // namespace inferd::pipelines
