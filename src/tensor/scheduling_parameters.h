#pragma once

// The scheduling parameters a request may carry in its "parameters" object,
// read the same way for every protocol (KServe v2 infer, v1 :predict):
//
//   "priority"  the queue priority level: an integer 0..4294967295
//               (0: the model's default level; 1 is the highest)
//   "timeout"   the queue timeout in microseconds: an integer
//               0..9223372036854775807; 0 sets no per-request limit (left
//               unset, so the model's own limit applies), as in Triton and
//               as timeout_seconds 0 means in a model's config
//
// A value of the wrong type or out of range is InvalidArgument naming it,
// "<prefix><key>: ..." (never silently truncated). Other keys are left to
// the caller.

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "boost/json.hpp"

namespace inferd {

struct SchedulingParameters {
  std::optional<uint32_t> priority;
  std::optional<uint64_t> timeout_us;  // unset when absent or 0
};

absl::Status ReadSchedulingParameters(const boost::json::object& parameters,
                                      SchedulingParameters* out,
                                      std::string_view prefix = "parameters.");

}  // namespace inferd
