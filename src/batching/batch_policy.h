#pragma once

// How a queue forms batches and treats waiting requests; the model-free
// mirror of Triton's dynamic_batching config (scheduling/ converts it).

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace inferd {

struct QueuePolicy {
  enum class TimeoutAction { kReject, kDelay };
  TimeoutAction timeout_action = TimeoutAction::kReject;
  // Zero: no timeout unless the request brings one (when allowed).
  absl::Duration default_timeout = absl::ZeroDuration();
  bool allow_timeout_override = false;
  uint32_t max_queue_size = 0;  // 0: unbounded
};

struct BatchPolicy {
  // Rows per batch. 0 or 1 with `batching` false: one request per batch.
  int64_t max_batch_size = 1;
  bool batching = false;  // false: every request runs alone
  std::vector<int64_t> preferred_batch_sizes;  // ascending
  absl::Duration max_queue_delay = absl::ZeroDuration();
  // Priority levels 1..levels (1 is the highest); 0 levels means one level.
  uint32_t priority_levels = 0;
  uint32_t default_priority_level = 0;
  QueuePolicy default_queue_policy;
  // Per level overrides, index = level; missing levels use the default.
  std::vector<std::pair<uint32_t, QueuePolicy>> level_policies;

  const QueuePolicy& PolicyFor(uint32_t level) const {
    for (const auto& [l, policy] : level_policies) {
      if (l == level) return policy;
    }
    return default_queue_policy;
  }
};

}  // namespace inferd
