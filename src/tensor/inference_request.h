#pragma once

// Protocol-neutral inference request and response: what the v2 codec decodes
// into and what the scheduler and backends consume.

#include <optional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace inferd {

// A slice of a registered system shared memory region (Triton's shared
// memory extension): `byte_size` bytes from `offset`.
struct SharedMemoryRef {
  std::string region;
  uint64_t byte_size = 0;
  uint64_t offset = 0;
};

struct RequestedOutput {
  std::string name;
  // Binary tensor data extension: nullopt means "use the request default".
  std::optional<bool> binary_data;
  // Classification extension: answer the top k classes as BYTES
  // "score:index[:label]" instead of the tensor.
  std::optional<uint32_t> classification;
  // Write the output into this region instead of the body.
  std::optional<SharedMemoryRef> shared_memory;
};

// An input whose data lives in a shared memory region: the decoder leaves
// inputs[input] without data, and the server fills it before validation.
struct SharedMemoryInput {
  size_t input = 0;
  SharedMemoryRef ref;
};

struct InferenceRequest {
  std::string id;  // echoed in the response; may be empty
  std::vector<NamedTensor> inputs;
  // Empty means "all outputs of the model".
  std::vector<RequestedOutput> outputs;
  bool binary_data_output = false;  // request-level default
  std::vector<SharedMemoryInput> shared_memory_inputs;
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
  // Parallel to `outputs` when not empty: outputs written to a shared
  // memory region, which the answer names instead of carrying the data.
  std::vector<std::optional<SharedMemoryRef>> shared_memory;
};

}  // namespace inferd
