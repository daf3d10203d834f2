#include "scheduling/batch_policy_from_config.h"

#include "common/strings.h"

namespace inferd {
namespace {

QueuePolicy FromProto(const config::ModelQueuePolicy& proto) {
  QueuePolicy policy;
  policy.timeout_action = proto.timeout_action() == config::ModelQueuePolicy::DELAY
                              ? QueuePolicy::TimeoutAction::kDelay
                              : QueuePolicy::TimeoutAction::kReject;
  policy.default_timeout =
      absl::Microseconds(static_cast<int64_t>(proto.default_timeout_microseconds()));
  policy.allow_timeout_override = proto.allow_timeout_override();
  policy.max_queue_size = proto.max_queue_size();
  return policy;
}

}  // namespace

absl::StatusOr<BatchPolicy> BatchPolicyFromConfig(const config::ModelConfig& config) {
  BatchPolicy policy;
  policy.max_batch_size = std::max(1, config.max_batch_size());
  if (!config.has_dynamic_batching()) return policy;
  const config::ModelDynamicBatching& db = config.dynamic_batching();
  policy.batching = config.max_batch_size() > 0;
  for (int size : db.preferred_batch_size()) {
    if (size < 1 || size > policy.max_batch_size) {
      return absl::InvalidArgumentError(
          StrCat("dynamic_batching: preferred_batch_size ", size,
                 " is outside 1..max_batch_size (", policy.max_batch_size, ")"));
    }
    policy.preferred_batch_sizes.push_back(size);
  }
  policy.max_queue_delay =
      absl::Microseconds(static_cast<int64_t>(db.max_queue_delay_microseconds()));
  if (db.priority_levels() > 1000) {
    return absl::InvalidArgumentError("dynamic_batching: priority_levels above 1000");
  }
  policy.priority_levels = static_cast<uint32_t>(db.priority_levels());
  policy.default_priority_level = static_cast<uint32_t>(db.default_priority_level());
  if (policy.priority_levels > 0 &&
      (policy.default_priority_level < 1 ||
       policy.default_priority_level > policy.priority_levels)) {
    return absl::InvalidArgumentError(
        StrCat("dynamic_batching: default_priority_level ", db.default_priority_level(),
               " is outside 1..priority_levels (", db.priority_levels(), ")"));
  }
  policy.default_queue_policy = FromProto(db.default_queue_policy());
  for (const auto& [level, proto] : db.priority_queue_policy()) {
    if (level < 1 || level > policy.priority_levels) {
      return absl::InvalidArgumentError(
          StrCat("dynamic_batching: priority_queue_policy level ", level,
                 " is outside 1..priority_levels (", db.priority_levels(), ")"));
    }
    policy.level_policies.emplace_back(static_cast<uint32_t>(level), FromProto(proto));
  }
  return policy;
}

}  // namespace inferd
