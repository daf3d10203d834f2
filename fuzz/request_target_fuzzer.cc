// Fuzzes the request-target parser (origin and absolute form, percent
// escapes, queries): any bytes must give a target or an error, never a
// crash; a parsed path starts with '/'.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/request_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<inferd::RequestTarget> target = inferd::ParseRequestTarget(input);
  if (target.ok() && (target->path.empty() || target->path[0] != '/')) std::abort();
  return 0;
}
