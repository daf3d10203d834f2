#pragma once

// Triton-style statistics of one model version, as GET .../stats reports
// them: counts and cumulative nanoseconds for success, fail, queue and the
// three compute phases, plus per-batch-size compute figures. Thread-safe.

#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace inferd {

struct DurationStat {
  uint64_t count = 0;
  uint64_t ns = 0;
  void Add(absl::Duration d) {
    ++count;
    ns += static_cast<uint64_t>(absl::ToInt64Nanoseconds(d));
  }
};

struct BatchStat {
  DurationStat compute_input, compute_infer, compute_output;
};

struct ModelStatsSnapshot {
  DurationStat success, fail, queue, compute_input, compute_infer, compute_output;
  uint64_t inference_count = 0;
  uint64_t execution_count = 0;
  int64_t last_inference_ms = 0;  // unix ms of the last execution
  std::map<int64_t, BatchStat> batch_stats;
};

class ModelStats {
 public:
  void RecordSuccess(absl::Duration total, absl::Duration queue);
  void RecordFailure(absl::Duration total);
  void RecordExecution(int64_t rows, absl::Duration input, absl::Duration infer,
                       absl::Duration output);
  ModelStatsSnapshot Snapshot() const;

 private:
  mutable absl::Mutex mu_;
  ModelStatsSnapshot stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd
