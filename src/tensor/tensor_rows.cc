#include "tensor/tensor_rows.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "common/strings.h"
#include "tensor/half.h"

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
    return absl::InternalError(
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

namespace inferd {
namespace {

// One element of `dtype` holding `value`, little-endian.
std::string ElementBytes(DataType dtype, double value) {
  std::string out(DataTypeSize(dtype), '\0');
  auto put = [&out](auto v) { std::memcpy(out.data(), &v, sizeof(v)); };
  switch (dtype) {
    case DataType::kBool: put(static_cast<uint8_t>(value != 0)); break;
    case DataType::kUint8: put(static_cast<uint8_t>(value)); break;
    case DataType::kUint16: put(static_cast<uint16_t>(value)); break;
    case DataType::kUint32: put(static_cast<uint32_t>(value)); break;
    case DataType::kUint64: put(static_cast<uint64_t>(value)); break;
    case DataType::kInt8: put(static_cast<int8_t>(value)); break;
    case DataType::kInt16: put(static_cast<int16_t>(value)); break;
    case DataType::kInt32: put(static_cast<int32_t>(value)); break;
    case DataType::kInt64: put(static_cast<int64_t>(value)); break;
    case DataType::kFp16: put(FloatToHalf(static_cast<float>(value))); break;
    case DataType::kBf16: put(FloatToBfloat16(static_cast<float>(value))); break;
    case DataType::kFp32: put(static_cast<float>(value)); break;
    case DataType::kFp64: put(value); break;
    case DataType::kBytes: break;
  }
  return out;
}

// Copies the block of `from` (shape `from_shape`) into `to` (shape
// `to_shape`, pre-filled), dimension by dimension from `dim`; the copied
// extent of each dimension is the smaller of the two.
void CopyBlock(const char* from, const Shape& from_shape, char* to, const Shape& to_shape,
               size_t dim, size_t element) {
  if (dim == from_shape.size()) {
    std::memcpy(to, from, element);
    return;
  }
  size_t from_stride = element, to_stride = element;
  for (size_t d = dim + 1; d < from_shape.size(); ++d) {
    from_stride *= from_shape[d];
    to_stride *= to_shape[d];
  }
  const int64_t n = std::min(from_shape[dim], to_shape[dim]);
  if (dim + 1 == from_shape.size()) {
    std::memcpy(to, from, n * element);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    CopyBlock(from + i * from_stride, from_shape, to + i * to_stride, to_shape, dim + 1,
              element);
  }
}

Tensor Reshaped(const Tensor& tensor, const Shape& shape, double pad_value) {
  Tensor out;
  out.dtype = tensor.dtype;
  out.shape = shape;
  const size_t element = DataTypeSize(tensor.dtype);
  const std::string fill = ElementBytes(tensor.dtype, pad_value);
  const int64_t count = ElementCount(shape);
  out.data.reserve(count * element);
  for (int64_t i = 0; i < count; ++i) out.data.append(fill);
  if (count > 0 && tensor.element_count() > 0) {
    CopyBlock(tensor.data.data(), tensor.shape, out.data.data(), shape, 0, element);
  }
  return out;
}

}  // namespace

Tensor PadRows(const Tensor& tensor, const Shape& shape, double pad_value) {
  if (tensor.shape == shape) return tensor;
  return Reshaped(tensor, shape, pad_value);
}

Tensor TrimRows(const Tensor& tensor, const Shape& extent) {
  Shape shape = extent;
  shape[0] = tensor.shape[0];
  if (tensor.shape == shape) return tensor;
  return Reshaped(tensor, shape, 0);
}

absl::StatusOr<Tensor> ConcatRowsPadded(const std::vector<const Tensor*>& parts,
                                        double pad_value) {
  const Tensor& first = *parts.front();
  if (first.dtype == DataType::kBytes) {
    return absl::InvalidArgumentError("BYTES tensors cannot be padded");
  }
  Shape longest = first.shape;
  for (const Tensor* part : parts) {
    if (part->dtype != first.dtype || part->shape.size() != first.shape.size() ||
        first.shape.empty()) {
      return absl::InvalidArgumentError(
          StrCat("cannot pad ", DataTypeName(part->dtype), ShapeToString(part->shape),
                 " to join ", DataTypeName(first.dtype), ShapeToString(first.shape)));
    }
    for (size_t d = 1; d < longest.size(); ++d) {
      longest[d] = std::max(longest[d], part->shape[d]);
    }
  }
  std::vector<Tensor> padded;
  std::vector<const Tensor*> joined;
  padded.reserve(parts.size());
  for (const Tensor* part : parts) {
    Shape target = longest;
    target[0] = part->shape[0];
    if (part->shape == target) {
      joined.push_back(part);
    } else {
      padded.push_back(Reshaped(*part, target, pad_value));
      joined.push_back(&padded.back());
    }
  }
  return ConcatRows(joined);
}

}  // namespace inferd
