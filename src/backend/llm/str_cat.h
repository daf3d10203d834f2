#pragma once

// Message building for Status errors.
//
// Debian's Abseil is built with its own absl::string_view (not
// std::string_view), so absl::StrCat cannot take std::string_view arguments;
// this engine uses std::string_view throughout and builds messages here.
// Only for error and log paths: it goes through an ostringstream.

#include <sstream>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"

namespace inferd::llm {

template <typename... Args>
std::string Cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// std::string_view -> absl::string_view for Abseil lookups.
inline absl::string_view AbslView(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

}  // namespace inferd::llm
