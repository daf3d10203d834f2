#include "tensor/v2_parameters.h"

#include <algorithm>
#include <string>

#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd {

// Refuses any key of `params` outside `known`: a parameter inferd does not
// implement is an error naming it, never silently ignored.
absl::Status CheckKnownParameters(const boost::json::object& params, std::string_view where,
                                  std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : params) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) != known.end()) continue;
    std::string list;
    for (std::string_view k : known) list += StrCat(list.empty() ? "" : ", ", k);
    return absl::InvalidArgumentError(StrCat(where, "parameter \"", std::string_view(key),
                                             "\" is not supported (supported: ", list, ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> UnsignedParameter(const boost::json::object& params,
                                                          std::string_view key,
                                                          std::string_view where) {
  const boost::json::value* v = params.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  if (v->is_uint64()) return v->get_uint64();
  return absl::InvalidArgumentError(
      StrCat(where, "\"", key, "\" must be a non-negative integer"));
}

// The shared memory parameters of an input or output, when
// "shared_memory_region" is there ("shared_memory_byte_size" then required).
absl::StatusOr<std::optional<SharedMemoryRef>> SharedMemoryParameters(
    const boost::json::object& params, std::string_view where) {
  const boost::json::value* region = params.if_contains("shared_memory_region");
  if (region == nullptr) {
    for (std::string_view key : {"shared_memory_byte_size", "shared_memory_offset"}) {
      if (params.contains(key)) {
        return absl::InvalidArgumentError(
            StrCat(where, "\"", key, "\" needs \"shared_memory_region\""));
      }
    }
    return std::nullopt;
  }
  if (!region->is_string() || region->get_string().empty()) {
    return absl::InvalidArgumentError(
        StrCat(where, "\"shared_memory_region\" must be a region name"));
  }
  SharedMemoryRef ref;
  ref.region = std::string(region->get_string());
  INFERD_ASSIGN_OR_RETURN(std::optional<uint64_t> size,
                          UnsignedParameter(params, "shared_memory_byte_size", where));
  if (!size) {
    return absl::InvalidArgumentError(
        StrCat(where, "\"shared_memory_region\" needs \"shared_memory_byte_size\""));
  }
  ref.byte_size = *size;
  INFERD_ASSIGN_OR_RETURN(std::optional<uint64_t> offset,
                          UnsignedParameter(params, "shared_memory_offset", where));
  ref.offset = offset.value_or(0);
  return ref;
}

}  // namespace inferd
