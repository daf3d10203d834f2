#include "common/logging.h"

#include <string>

#include "common/strings.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace inferd {

absl::Status SetLogLevel(std::string_view level) {
  spdlog::level::level_enum parsed;
  if (level == "trace") {
    parsed = spdlog::level::trace;
  } else if (level == "debug") {
    parsed = spdlog::level::debug;
  } else if (level == "info") {
    parsed = spdlog::level::info;
  } else if (level == "warn" || level == "warning") {
    parsed = spdlog::level::warn;
  } else if (level == "error") {
    parsed = spdlog::level::err;
  } else if (level == "off") {
    parsed = spdlog::level::off;
  } else {
    return absl::InvalidArgumentError(
        StrCat("log level \"", level,
                     "\" is not one of trace, debug, info, warn, error, off"));
  }
  static bool configured = [] {
    auto logger = spdlog::stderr_color_mt("inferd");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    return true;
  }();
  (void)configured;
  spdlog::set_level(parsed);
  return absl::OkStatus();
}

}  // namespace inferd
