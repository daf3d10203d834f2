#include "pipelines/task/task_pipeline.h"

#include "common/strings.h"
#include "tensor/tensor_rows.h"

namespace inferd::pipelines {

double TaskPipeline::pad_value(size_t) const { return 0; }

absl::StatusOr<std::vector<Tensor>> TaskPipeline::Collate(
    const std::vector<const Features*>& items) const {
  if (items.empty()) return absl::InvalidArgumentError("nothing to collate");
  if (items.size() == 1) return items.front()->inputs;
  std::vector<Tensor> batch;
  const size_t n_inputs = items.front()->inputs.size();
  for (size_t i = 0; i < n_inputs; ++i) {
    std::vector<const Tensor*> parts;
    parts.reserve(items.size());
    for (const Features* item : items) {
      if (item->inputs.size() != n_inputs) {
        return absl::InternalError(StrCat("task ", task(), ": instances have ",
                                          item->inputs.size(), " and ", n_inputs,
                                          " inputs"));
      }
      parts.push_back(&item->inputs[i]);
    }
    if (parts.front()->dtype == DataType::kBytes) {
      batch.push_back(ConcatRows(parts));
      continue;
    }
    absl::StatusOr<Tensor> joined = ConcatRowsPadded(parts, pad_value(i));
    if (!joined.ok()) return joined.status();
    batch.push_back(*std::move(joined));
  }
  return batch;
}

}  // namespace inferd::pipelines
