#include "backend/llm/tensor_views.h"

#include "backend/llm/kernels.h"
#include "common/strings.h"

namespace inferd::llm {

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + "]";
}

absl::Status MatrixView(const GgufFile& f, const std::string& name,
                        int64_t cols, int64_t rows, Weight* out) {
  const GgufTensor* t = f.FindTensor(name);
  if (t == nullptr) {
    return absl::InvalidArgumentError(StrCat("missing tensor \"", name, "\""));
  }
  if (!IsSupportedWeightType(t->type)) {
    return absl::InvalidArgumentError(
        StrCat("tensor \"", name, "\": weight type ", TypeName(t->type),
               " is not supported (F32, F16, BF16, Q8_0, Q4_0, Q5_0, "
               "Q5_1, IQ4_NL, Q4_K, Q5_K, Q6_K)"));
  }
  if (t->shape.size() != 2 || t->shape[0] != cols ||
      (rows > 0 && t->shape[1] != rows)) {
    return absl::InvalidArgumentError(
        StrCat("tensor \"", name, "\": shape ", ShapeString(t->shape),
               ", expected [", cols, ", ",
               rows > 0 ? std::to_string(rows) : "n_vocab", "]"));
  }
  if (UsesQuantizedActivations(t->type) && cols % 32 != 0) {
    return absl::InvalidArgumentError(StrCat(
        "tensor \"", name, "\": row length ", cols, " is not a multiple of 32"));
  }
  out->type = t->type;
  out->data = t->data;
  out->cols = t->shape[0];
  out->rows = t->shape[1];
  out->row_bytes = RowBytes(t->type, t->shape[0]);
  return absl::OkStatus();
}

absl::Status VectorView(const GgufFile& f, const std::string& name, int64_t n,
                        const float** out) {
  const GgufTensor* t = f.FindTensor(name);
  if (t == nullptr) {
    return absl::InvalidArgumentError(StrCat("missing tensor \"", name, "\""));
  }
  if (t->type != GgmlType::kF32 || t->shape.size() != 1 || t->shape[0] != n) {
    return absl::InvalidArgumentError(
        StrCat("tensor \"", name, "\": expected F32 [", n, "], got ",
               TypeName(t->type), " ", ShapeString(t->shape)));
  }
  if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
    return absl::InvalidArgumentError(
        StrCat("tensor \"", name, "\": misaligned data"));
  }
  *out = reinterpret_cast<const float*>(t->data);
  return absl::OkStatus();
}

}  // namespace inferd::llm
