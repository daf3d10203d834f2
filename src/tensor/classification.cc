#include "tensor/classification.h"

#include <algorithm>
#include <numeric>

#include "common/strings.h"
#include "tensor/half.h"

namespace inferd {
namespace {

// Element `i` of `t` as a double, and the text Triton gives it.
double ScoreAt(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DataType::kBool: return t.data[i] != 0;
    case DataType::kUint8: return t.data_as<uint8_t>()[i];
    case DataType::kUint16: return t.data_as<uint16_t>()[i];
    case DataType::kUint32: return t.data_as<uint32_t>()[i];
    case DataType::kUint64: return static_cast<double>(t.data_as<uint64_t>()[i]);
    case DataType::kInt8: return t.data_as<int8_t>()[i];
    case DataType::kInt16: return t.data_as<int16_t>()[i];
    case DataType::kInt32: return t.data_as<int32_t>()[i];
    case DataType::kInt64: return static_cast<double>(t.data_as<int64_t>()[i]);
    case DataType::kFp16: return HalfToFloat(t.data_as<uint16_t>()[i]);
    case DataType::kBf16: return Bfloat16ToFloat(t.data_as<uint16_t>()[i]);
    case DataType::kFp32: return t.data_as<float>()[i];
    case DataType::kFp64: return t.data_as<double>()[i];
    case DataType::kBytes: return 0;
  }
  return 0;
}

std::string ScoreText(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DataType::kUint64: return std::to_string(t.data_as<uint64_t>()[i]);
    case DataType::kInt64: return std::to_string(t.data_as<int64_t>()[i]);
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kFp32: return std::to_string(static_cast<float>(ScoreAt(t, i)));
    case DataType::kFp64: return std::to_string(ScoreAt(t, i));
    default: return std::to_string(static_cast<int64_t>(ScoreAt(t, i)));
  }
}

}  // namespace

absl::StatusOr<Tensor> Classify(const Tensor& scores, uint32_t k, bool batched,
                                const std::vector<std::string>& labels, std::string_view output) {
  if (scores.dtype == DataType::kBytes) {
    return absl::InvalidArgumentError(StrCat("output \"", output,
                                             "\": classification needs numeric scores, "
                                             "the output is BYTES"));
  }
  const int64_t total = scores.element_count();
  const int64_t rows = batched && !scores.shape.empty() ? scores.shape[0] : 1;
  const int64_t classes = rows == 0 ? 0 : total / rows;
  const int64_t top = std::min<int64_t>(k, classes);
  Tensor out;
  out.dtype = DataType::kBytes;
  out.shape = batched ? Shape{rows, top} : Shape{top};
  out.strings.reserve(rows * top);
  std::vector<int64_t> order(classes);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t base = r * classes;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + top, order.end(),
                      [&](int64_t a, int64_t b) {
                        const double x = ScoreAt(scores, base + a);
                        const double y = ScoreAt(scores, base + b);
                        return x > y || (x == y && a < b);
                      });
    for (int64_t j = 0; j < top; ++j) {
      const int64_t index = order[j];
      std::string entry = StrCat(ScoreText(scores, base + index), ":", index);
      if (index < static_cast<int64_t>(labels.size())) entry += StrCat(":", labels[index]);
      out.strings.push_back(std::move(entry));
    }
  }
  return out;
}

}  // namespace inferd
