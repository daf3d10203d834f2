#include "scheduling/model_stats.h"

#include "absl/time/clock.h"

namespace inferd {

void ModelStats::RecordSuccess(absl::Duration total, absl::Duration queue) {
  absl::MutexLock lock(&mu_);
  stats_.success.Add(total);
  stats_.queue.Add(queue);
}

void ModelStats::RecordFailure(absl::Duration total) {
  absl::MutexLock lock(&mu_);
  stats_.fail.Add(total);
}

void ModelStats::RecordExecution(int64_t rows, absl::Duration input,
                                 absl::Duration infer, absl::Duration output) {
  absl::MutexLock lock(&mu_);
  stats_.compute_input.Add(input);
  stats_.compute_infer.Add(infer);
  stats_.compute_output.Add(output);
  stats_.inference_count += rows;
  ++stats_.execution_count;
  stats_.last_inference_ms = absl::ToUnixMillis(absl::Now());
  BatchStat& batch = stats_.batch_stats[rows];
  batch.compute_input.Add(input);
  batch.compute_infer.Add(infer);
  batch.compute_output.Add(output);
}

ModelStatsSnapshot ModelStats::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace inferd
