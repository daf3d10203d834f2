#pragma once

// Message building for the engine's Status errors, kept as short names the
// engine already uses; both delegate to src/common/strings.h, which explains
// why Debian's Abseil needs them.

#include <string>
#include <string_view>

#include "common/strings.h"

namespace inferd::llm {

template <typename... Args>
std::string Cat(const Args&... args) {
  return inferd::StrCat(args...);
}

inline absl::string_view AbslView(std::string_view s) { return inferd::ToAbsl(s); }

}  // namespace inferd::llm
