#include "config/model_signature.h"

#include "common/strings.h"
#include "absl/strings/str_join.h"
#include "config/model_config_loader.h"

namespace inferd {
namespace {

template <typename ProtoTensor>
TensorSpec SpecOf(const ProtoTensor& t) {
  TensorSpec spec;
  spec.name = t.name();
  spec.dtype = *FromConfigDataType(t.data_type());
  spec.dims.assign(t.dims().begin(), t.dims().end());
  if (t.has_reshape()) {
    spec.reshape = Shape(t.reshape().shape().begin(), t.reshape().shape().end());
  }
  return spec;
}

bool DimsMatch(const Shape& expected, const Shape& got, size_t offset) {
  if (got.size() != expected.size() + offset) return false;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] != -1 && expected[i] != got[i + offset]) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<ModelSignature> ModelSignature::Create(
    const config::ModelConfig& config) {
  ModelSignature signature;
  signature.max_batch_size_ = config.max_batch_size();
  for (const auto& input : config.input()) {
    if (!FromConfigDataType(input.data_type())) {
      return absl::InvalidArgumentError(
          StrCat("input \"", input.name(), "\" has no data_type"));
    }
    TensorSpec spec = SpecOf(input);
    spec.optional = input.optional();
    signature.inputs_.push_back(std::move(spec));
  }
  for (const auto& output : config.output()) {
    if (!FromConfigDataType(output.data_type())) {
      return absl::InvalidArgumentError(
          StrCat("output \"", output.name(), "\" has no data_type"));
    }
    signature.outputs_.push_back(SpecOf(output));
  }
  return signature;
}

Shape ModelSignature::ClientShape(const TensorSpec& spec) const {
  Shape shape;
  if (batched()) shape.push_back(-1);
  shape.insert(shape.end(), spec.dims.begin(), spec.dims.end());
  return shape;
}

absl::StatusOr<int64_t> ModelSignature::ValidateRequest(
    InferenceRequest& request) const {
  std::vector<NamedTensor> ordered(inputs_.size());
  std::vector<bool> seen(inputs_.size(), false);
  for (NamedTensor& input : request.inputs) {
    size_t index = 0;
    while (index < inputs_.size() && inputs_[index].name != input.name) ++index;
    if (index == inputs_.size()) {
      std::vector<std::string> names;
      for (const auto& spec : inputs_) names.push_back(spec.name);
      return absl::InvalidArgumentError(
          StrCat("unknown input \"", input.name, "\"; the model expects ",
                       absl::StrJoin(names, ", ")));
    }
    seen[index] = true;
    ordered[index] = std::move(input);
  }
  int64_t batch_size = -1;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const TensorSpec& spec = inputs_[i];
    if (!seen[i]) {
      if (spec.optional) continue;
      return absl::InvalidArgumentError(
          StrCat("missing required input \"", spec.name, "\""));
    }
    const Tensor& tensor = ordered[i].tensor;
    if (tensor.dtype != spec.dtype) {
      return absl::InvalidArgumentError(StrCat(
          "input \"", spec.name, "\": datatype ", DataTypeName(tensor.dtype),
          " does not match the model's ", DataTypeName(spec.dtype)));
    }
    const size_t offset = batched() ? 1 : 0;
    if (!DimsMatch(spec.dims, tensor.shape, offset)) {
      return absl::InvalidArgumentError(StrCat(
          "input \"", spec.name, "\": expected shape ",
          ShapeToString(ClientShape(spec)), ", got ",
          ShapeToString(tensor.shape)));
    }
    if (batched()) {
      const int64_t batch = tensor.shape[0];
      if (batch < 1 || batch > max_batch_size_) {
        return absl::InvalidArgumentError(StrCat(
            "input \"", spec.name, "\": batch size ", batch,
            " is outside 1..", max_batch_size_, " (max_batch_size)"));
      }
      if (batch_size != -1 && batch != batch_size) {
        return absl::InvalidArgumentError(StrCat(
            "input \"", spec.name, "\": batch size ", batch,
            " differs from the other inputs' ", batch_size));
      }
      batch_size = batch;
    }
  }
  request.inputs = std::move(ordered);
  return batch_size == -1 ? 1 : batch_size;
}

absl::StatusOr<std::vector<size_t>> ModelSignature::SelectOutputs(
    const InferenceRequest& request) const {
  std::vector<size_t> selected;
  if (request.outputs.empty()) {
    for (size_t i = 0; i < outputs_.size(); ++i) selected.push_back(i);
    return selected;
  }
  for (const RequestedOutput& requested : request.outputs) {
    size_t index = 0;
    while (index < outputs_.size() && outputs_[index].name != requested.name) {
      ++index;
    }
    if (index == outputs_.size()) {
      return absl::InvalidArgumentError(
          StrCat("unknown output \"", requested.name, "\""));
    }
    selected.push_back(index);
  }
  return selected;
}

}  // namespace inferd
