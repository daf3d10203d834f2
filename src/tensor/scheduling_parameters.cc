#include "tensor/scheduling_parameters.h"

#include <limits>
#include <string_view>

#include "common/strings.h"

namespace inferd {
namespace {

// The value of `key` as an integer in [0, max], or an error naming it.
absl::Status ReadInteger(const boost::json::object& parameters, std::string_view prefix,
                         std::string_view key, uint64_t max, std::optional<uint64_t>* out) {
  const boost::json::value* v = parameters.if_contains(key);
  if (v == nullptr) return absl::OkStatus();
  uint64_t value = 0;
  if (v->is_uint64()) {
    value = v->get_uint64();
  } else if (v->is_int64() && v->get_int64() >= 0) {
    value = static_cast<uint64_t>(v->get_int64());
  } else {
    return absl::InvalidArgumentError(
        StrCat(prefix, key, ": must be a non-negative integer (0..", max, ")"));
  }
  if (value > max) {
    return absl::InvalidArgumentError(
        StrCat(prefix, key, ": must be at most ", max, ", got ", value));
  }
  *out = value;
  return absl::OkStatus();
}

}  // namespace

absl::Status ReadSchedulingParameters(const boost::json::object& parameters,
                                      SchedulingParameters* out, std::string_view prefix) {
  std::optional<uint64_t> priority;
  absl::Status status =
      ReadInteger(parameters, prefix, "priority", std::numeric_limits<uint32_t>::max(), &priority);
  if (!status.ok()) return status;
  if (priority) out->priority = static_cast<uint32_t>(*priority);
  std::optional<uint64_t> timeout;
  status = ReadInteger(parameters, prefix, "timeout",
                       static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), &timeout);
  if (!status.ok()) return status;
  // 0 is "no limit", not "already expired": the model's own limit applies.
  if (timeout && *timeout > 0) out->timeout_us = *timeout;
  return absl::OkStatus();
}

}  // namespace inferd
