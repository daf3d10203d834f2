#include "tensor/tensor_rows.h"

#include <numeric>

#include "common/strings.h"

namespace inferd {

Tensor ConcatRows(const std::vector<const Tensor*>& parts) {
  Tensor out;
  out.dtype = parts.front()->dtype;
  out.shape = parts.front()->shape;
  out.shape[0] = 0;
  size_t bytes = 0;
  for (const Tensor* part : parts) {
    out.shape[0] += part->shape[0];
    bytes += part->data.size();
  }
  if (out.dtype == DataType::kBytes) {
    for (const Tensor* part : parts) {
      out.strings.insert(out.strings.end(), part->strings.begin(), part->strings.end());
    }
  } else {
    out.data.reserve(bytes);
    for (const Tensor* part : parts) out.data.append(part->data);
  }
  return out;
}

absl::StatusOr<std::vector<Tensor>> SplitRows(const Tensor& batch,
                                              const std::vector<int64_t>& rows) {
  const int64_t total = std::accumulate(rows.begin(), rows.end(), int64_t{0});
  if (batch.shape.empty() || batch.shape[0] != total) {
    return absl::FailedPreconditionError(
        StrCat("model returned shape ", ShapeToString(batch.shape), " for a batch of ",
               total, " rows"));
  }
  const int64_t per_row = total == 0 ? 0 : batch.element_count() / total;
  std::vector<Tensor> pieces;
  pieces.reserve(rows.size());
  int64_t offset = 0;
  for (int64_t n : rows) {
    Tensor piece;
    piece.dtype = batch.dtype;
    piece.shape = batch.shape;
    piece.shape[0] = n;
    if (batch.dtype == DataType::kBytes) {
      piece.strings.assign(batch.strings.begin() + offset * per_row,
                           batch.strings.begin() + (offset + n) * per_row);
    } else {
      const size_t row_bytes = per_row * DataTypeSize(batch.dtype);
      piece.data.assign(batch.data, offset * row_bytes, n * row_bytes);
    }
    offset += n;
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

}  // namespace inferd
