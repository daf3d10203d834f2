#include "backend/torchscript/string_output.h"

#include <algorithm>

#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd {
namespace {

absl::Status Mismatch(const std::string& name, std::string_view what) {
  return absl::InternalError(StrCat("output \"", name, "\": ", what));
}

// Appends the strings of `value` (a str or a list of them, nested to any
// depth) to `out`, recording the length of each level in `shape`. Every
// list of one level must have the same length and every string must sit at
// the same depth (`leaf_depth`, -1 until the first string).
absl::Status CollectStrings(const c10::IValue& value, const std::string& name, size_t depth,
                            Shape& shape, int& leaf_depth, std::vector<std::string>& out) {
  if (value.isString()) {
    if (leaf_depth == -1) leaf_depth = static_cast<int>(depth);
    if (leaf_depth != static_cast<int>(depth) || shape.size() != depth) {
      return Mismatch(name, "the returned nested lists are ragged");
    }
    out.push_back(value.toStringRef());
    return absl::OkStatus();
  }
  if (!value.isList()) {
    return Mismatch(name, StrCat("list holds a non-string (", value.tagKind(), ")"));
  }
  if (leaf_depth != -1 && static_cast<int>(depth) >= leaf_depth) {
    return Mismatch(name, "the returned nested lists are ragged");
  }
  const auto& list = value.toListRef();
  const int64_t length = static_cast<int64_t>(list.size());
  if (depth == shape.size()) {
    shape.push_back(length);
  } else if (shape[depth] != length) {
    return Mismatch(name, "the returned nested lists are ragged");
  }
  for (const auto& item : list) {
    INFERD_RETURN_IF_ERROR(CollectStrings(item, name, depth + 1, shape, leaf_depth, out));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Tensor> StringOutput(const c10::IValue& value, const std::string& name,
                                    const Shape& declared, bool batched,
                                    const std::vector<Tensor>& inputs) {
  Tensor out;
  out.dtype = DataType::kBytes;
  if (!value.isList()) {
    return Mismatch(name, StrCat("is BYTES but the model returned a ", value.tagKind(),
                                 ", not List[str]"));
  }
  Shape nested;
  int leaf_depth = -1;
  INFERD_RETURN_IF_ERROR(CollectStrings(value, name, 0, nested, leaf_depth, out.strings));
  const int64_t rows = inputs.empty() || inputs[0].shape.empty() ? 1 : inputs[0].shape[0];
  int wildcards = 0;
  if (nested.size() > 1) {
    out.shape = nested;
  } else {
    out.shape = declared;
    const int64_t count = static_cast<int64_t>(out.strings.size());
    if (batched && !out.shape.empty()) out.shape[0] = rows;
    wildcards = static_cast<int>(std::count(out.shape.begin(), out.shape.end(), int64_t{-1}));
    if (wildcards == 1) {
      int64_t known = 1;
      for (int64_t d : out.shape) {
        if (d != -1) known *= d;
      }
      auto wildcard = std::find(out.shape.begin(), out.shape.end(), int64_t{-1});
      *wildcard = known > 0 && count % known == 0 ? count / known : count;
    } else if (wildcards > 1) {
      for (const Tensor& input : inputs) {
        if (input.shape.size() == out.shape.size() && input.element_count() == count) {
          out.shape = input.shape;
          break;
        }
      }
    }
    if (ElementCount(out.shape) != count) {
      return Mismatch(name, StrCat("model returned ", count,
                                   " strings, which do not fill the declared shape ",
                                   ShapeToString(declared),
                                   wildcards > 1 ? " (return nested lists to give the shape)"
                                                 : ""));
    }
  }
  bool ok = declared.size() == out.shape.size() &&
            (!batched || out.shape.empty() || out.shape[0] == rows);
  for (size_t d = 0; ok && d < out.shape.size(); ++d) {
    ok = declared[d] == -1 || declared[d] == out.shape[d];
  }
  if (!ok) {
    return Mismatch(name, StrCat("model returned shape ", ShapeToString(out.shape),
                                 " but the config says ", ShapeToString(declared),
                                 batched ? StrCat(" for ", rows, " rows") : ""));
  }
  return out;
}

}  // namespace inferd
