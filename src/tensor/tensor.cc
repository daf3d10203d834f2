#include "tensor/tensor.h"

#include <limits>

#include "absl/strings/str_join.h"

namespace inferd {

int64_t ElementCount(const Shape& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (__builtin_mul_overflow(count, dim, &count)) {
      return std::numeric_limits<int64_t>::max();
    }
  }
  return count;
}

std::string ShapeToString(const Shape& shape) {
  return "[" + absl::StrJoin(shape, ",") + "]";
}

size_t Tensor::byte_size() const {
  if (dtype != DataType::kBytes) return data.size();
  size_t total = 0;
  for (const auto& s : strings) total += s.size();
  return total;
}

}  // namespace inferd
