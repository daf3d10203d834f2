#include "backend/gguf_encoder_instance.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>

#include "common/strings.h"

namespace inferd {
namespace {

int Workers(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return threads - 1;  // the executor thread joins every ParallelFor
}

// Element (b, s) of a [B, S] INT64 or INT32 tensor.
int64_t IntAt(const Tensor& t, int64_t index) {
  return t.dtype == DataType::kInt32 ? t.data_as<int32_t>()[index] : t.data_as<int64_t>()[index];
}

}  // namespace

GgufEncoderInstance::GgufEncoderInstance(std::shared_ptr<const llm::EncoderModel> model,
                                         int threads)
    : model_(std::move(model)), pool_(Workers(threads)), encoder_(model_.get(), &pool_) {}

absl::StatusOr<std::vector<Tensor>> GgufEncoderInstance::Execute(
    const std::vector<Tensor>& inputs) {
  if (inputs.empty()) return absl::InvalidArgumentError("input_ids is missing");
  const Tensor& ids = inputs[0];
  if (ids.shape.size() != 2 ||
      (ids.dtype != DataType::kInt64 && ids.dtype != DataType::kInt32)) {
    return absl::InvalidArgumentError(
        StrCat("input_ids must be INT64 or INT32 [batch, tokens], got ",
               DataTypeName(ids.dtype), " ", ShapeToString(ids.shape)));
  }
  const Tensor* mask = inputs.size() > 1 && !inputs[1].shape.empty() ? &inputs[1] : nullptr;
  if (mask != nullptr && (mask->shape != ids.shape || (mask->dtype != DataType::kInt64 &&
                                                       mask->dtype != DataType::kInt32))) {
    return absl::InvalidArgumentError(
        StrCat("attention_mask must be INT64 or INT32 of input_ids' shape ",
               ShapeToString(ids.shape), ", got ", ShapeToString(mask->shape)));
  }
  const int64_t batch = ids.shape[0];
  const int64_t length = ids.shape[1];
  const int64_t dim = model_->config().dim;
  // Each row's kept tokens, and where each one's state goes.
  std::vector<std::vector<int32_t>> texts(batch);
  std::vector<int64_t> slots;
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t s = 0; s < length; ++s) {
      const int64_t i = b * length + s;
      if (mask != nullptr) {
        const int64_t keep = IntAt(*mask, i);
        if (keep != 0 && keep != 1) {
          return absl::InvalidArgumentError(StrCat("attention_mask: values must be 0 or 1, got ",
                                                   keep, " at [", b, ", ", s, "]"));
        }
        if (keep == 0) continue;
      }
      const int64_t id = IntAt(ids, i);
      if (id < 0 || id > INT32_MAX) {
        return absl::InvalidArgumentError(StrCat("input_ids: token id ", id, " is out of range"));
      }
      texts[b].push_back(static_cast<int32_t>(id));
      slots.push_back(i);
    }
    if (texts[b].empty()) {
      return absl::InvalidArgumentError(StrCat(
          "input_ids: row ", b, " has no tokens", length > 0 ? " (attention_mask is all 0)" : ""));
    }
  }
  std::vector<absl::Span<const int32_t>> spans;
  for (const std::vector<int32_t>& text : texts) {
    if (!text.empty()) spans.emplace_back(text);
  }
  states_.resize(slots.size() * dim);
  if (absl::Status s = encoder_.Forward(spans, states_.data()); !s.ok()) return s;

  Tensor out;
  out.dtype = DataType::kFp32;
  out.shape = {batch, length, dim};
  out.data.assign(static_cast<size_t>(batch * length * dim) * sizeof(float), '\0');
  float* dst = out.mutable_data_as<float>();
  for (size_t k = 0; k < slots.size(); ++k) {
    std::memcpy(dst + slots[k] * dim, states_.data() + k * dim, dim * sizeof(float));
  }
  std::vector<Tensor> outputs;
  outputs.push_back(std::move(out));
  return outputs;
}

}  // namespace inferd
