#pragma once

// Protocol-neutral inference request and response: what the v2 codec decodes
// into and what the scheduler and backends consume.

#include <optional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace inferd {

struct RequestedOutput {
  std::string name;
  // Binary tensor data extension: nullopt means "use the request default".
  std::optional<bool> binary_data;
};

struct InferenceRequest {
  std::string id;  // echoed in the response; may be empty
  std::vector<NamedTensor> inputs;
  // Empty means "all outputs of the model".
  std::vector<RequestedOutput> outputs;
  bool binary_data_output = false;  // request-level default
  // KServe v2 request parameters honoured by the scheduler.
  std::optional<uint64_t> priority;    // "priority": level, 1 is highest
  std::optional<uint64_t> timeout_us;  // "timeout": queue timeout in µs
};

struct InferenceResponse {
  std::string model_name;
  std::string model_version;
  std::string id;
  std::vector<NamedTensor> outputs;
  // Parallel to `outputs`: whether each goes out as binary data.
  std::vector<bool> binary;
};

}  // namespace inferd
