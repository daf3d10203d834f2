#pragma once

// Reading the "parameters" objects of a KServe v2 request, its inputs and
// its outputs: which keys are allowed, unsigned integers, and Triton's
// shared memory parameters. Errors are InvalidArgument and begin with
// `where` ("request: ", "input \"x\": ", ...). Stateless; thread-safe.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json.hpp"
#include "tensor/inference_request.h"

namespace inferd {

// Refuses any key of `params` outside `known`: a parameter inferd does not
// implement is an error naming it (and listing `known`), never ignored.
absl::Status CheckKnownParameters(const boost::json::object& params, std::string_view where,
                                  std::initializer_list<std::string_view> known);

// The value of `key` when present; an error unless it is an integer >= 0.
absl::StatusOr<std::optional<uint64_t>> UnsignedParameter(const boost::json::object& params,
                                                          std::string_view key,
                                                          std::string_view where);

// The shared memory slice named by "shared_memory_region",
// "shared_memory_byte_size" (required with a region) and
// "shared_memory_offset" (default 0); nullopt without a region.
absl::StatusOr<std::optional<SharedMemoryRef>> SharedMemoryParameters(
    const boost::json::object& params, std::string_view where);

}  // namespace inferd
