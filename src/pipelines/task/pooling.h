#pragma once

// Sentence embeddings from token states, as the feature-extraction task and
// sentence-transformers compute them: mean pooling over the tokens whose
// attention mask is non-zero, or the first ([CLS]) token's state; then,
// optionally, L2 normalisation.
//
// Free functions over plain spans; thread-compatible.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace inferd::pipelines {

enum class Pooling { kMean, kCls };

// "mean" / "cls"; InvalidArgument naming the accepted values otherwise.
absl::StatusOr<Pooling> ParsePooling(const std::string& name);

// `states` holds `mask.size()` rows of `dim` floats (row-major: token t's
// state is states[t*dim, (t+1)*dim)). Mean pooling averages the rows whose
// mask is non-zero (padding and anything masked out never count); a row set
// with no unmasked token pools to zeros. Cls pooling takes row 0.
// InvalidArgument when the sizes disagree or there are no rows.
absl::StatusOr<std::vector<float>> Pool(absl::Span<const float> states,
                                        absl::Span<const int32_t> mask, size_t dim,
                                        Pooling pooling);

// Scales `vector` to unit L2 norm in place; a zero vector stays zero.
void L2Normalize(std::vector<float>& vector);

}  // namespace inferd::pipelines
