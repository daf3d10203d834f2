#include "api/generate_scheduling.h"

#include <cstdint>
#include <algorithm>
#include <limits>

#include "tensor/scheduling_parameters.h"

namespace inferd {

absl::Status ReadGenerateScheduling(const boost::json::object& object, std::string_view prefix,
                                    GenerateInput* input) {
  SchedulingParameters scheduling;
  if (absl::Status s = ReadSchedulingParameters(object, &scheduling, prefix); !s.ok()) return s;
  if (scheduling.priority) input->priority = *scheduling.priority;
  if (scheduling.timeout_us) {
    // absl::Duration holds any int64 of microseconds.
    input->timeout = absl::Microseconds(static_cast<int64_t>(
        std::min<uint64_t>(*scheduling.timeout_us, std::numeric_limits<int64_t>::max())));
  }
  return absl::OkStatus();
}

}  // namespace inferd
