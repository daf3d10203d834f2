#pragma once

// Process-wide logging setup. Components log through spdlog's default logger
// (stderr, with timestamps); this sets its level once at startup.

#include <string_view>

#include "absl/status/status.h"

namespace inferd {

// Accepts trace, debug, info, warn, error, off. Returns InvalidArgument for
// anything else, naming the accepted values.
absl::Status SetLogLevel(std::string_view level);

}  // namespace inferd
