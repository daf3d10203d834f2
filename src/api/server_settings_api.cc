#include "api/server_settings_api.h"

#include "boost/json.hpp"
#include "common/logging.h"
#include "common/strings.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

namespace json = boost::json;

// Triton's log settings from the level in force: info, warning and error
// lines each on or off, and a verbose level (1 for debug, 2 for trace).
json::object LoggingSettings() {
  const spdlog::level::level_enum level = spdlog::default_logger()->level();
  return json::object{
      {"log_file", ""},
      {"log_info", level <= spdlog::level::info},
      {"log_warning", level <= spdlog::level::warn},
      {"log_error", level <= spdlog::level::err},
      {"log_verbose_level", level == spdlog::level::trace   ? 2
                            : level == spdlog::level::debug ? 1
                                                            : 0},
      {"log_format", CurrentLogFormat() == LogFormat::kJson ? "json" : "default"},
  };
}

absl::StatusOr<json::object> BodyObject(const std::string& body, std::string_view route) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) {
    return absl::InvalidArgumentError(StrCat(route, ": the body must be a JSON object"));
  }
  return std::move(value.get_object());
}

HttpResponse BadRequest(std::string_view message) { return JsonError(400, message); }

json::object TraceSettings() {
  return json::object{{"trace_level", json::array{"OFF"}},
                      {"trace_rate", "1000"},
                      {"trace_count", "-1"},
                      {"log_frequency", "0"},
                      {"trace_file", ""},
                      {"trace_mode", "triton"}};
}

}  // namespace

void ServerSettingsApi::GetLogging(const HttpRequest&, Responder respond) const {
  respond(JsonBody(200, json::serialize(LoggingSettings())));
}

void ServerSettingsApi::SetLogging(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<json::object> body = BodyObject(request.body, "logging");
  if (!body.ok()) return respond(BadRequest(ToStd(body.status().message())));
  // Start from what is in force; each setting given replaces its part.
  json::object now = LoggingSettings();
  bool info = now["log_info"].as_bool();
  bool warning = now["log_warning"].as_bool();
  bool error = now["log_error"].as_bool();
  int64_t verbose = now["log_verbose_level"].as_int64();
  std::string format(now["log_format"].as_string());
  for (const auto& [key, value] : *body) {
    const std::string_view name(key);
    if (name == "log_info" || name == "log_warning" || name == "log_error") {
      if (!value.is_bool()) {
        return respond(BadRequest(StrCat("logging: \"", name, "\" must be true or false")));
      }
      (name == "log_info" ? info : name == "log_warning" ? warning : error) = value.get_bool();
    } else if (name == "log_verbose_level") {
      if (!value.is_int64() || value.get_int64() < 0) {
        return respond(BadRequest("logging: \"log_verbose_level\" must be a non-negative integer"));
      }
      verbose = value.get_int64();
    } else if (name == "log_format") {
      if (!value.is_string()) {
        return respond(BadRequest("logging: \"log_format\" must be a string"));
      }
      format = std::string(value.get_string());
      if (format != "default" && format != "ISO8601" && format != "json") {
        return respond(BadRequest(StrCat("logging: \"log_format\" \"", format,
                                         "\" is not one of default, ISO8601, json")));
      }
    } else if (name == "log_file") {
      if (!value.is_string() || !value.get_string().empty()) {
        return respond(BadRequest(
            "logging: \"log_file\" is not supported: inferd logs to stderr (send \"\")"));
      }
    } else {
      return respond(BadRequest(StrCat(
          "logging: setting \"", name,
          "\" is not supported (supported: log_info, log_warning, log_error, "
          "log_verbose_level, log_format, log_file)")));
    }
  }
  const char* level = verbose >= 2 ? "trace"
                      : verbose == 1 ? "debug"
                      : info        ? "info"
                      : warning     ? "warn"
                      : error       ? "error"
                                    : "off";
  absl::Status set = SetLogLevel(level);
  if (set.ok()) set = SetLogFormat(format == "json" ? "json" : "text");
  if (!set.ok()) return respond(BadRequest(ToStd(set.message())));
  spdlog::info("log settings changed: level {}, format {}", level, format);
  respond(JsonBody(200, json::serialize(LoggingSettings())));
}

void ServerSettingsApi::GetTrace(const HttpRequest&, Responder respond) const {
  respond(JsonBody(200, json::serialize(TraceSettings())));
}

void ServerSettingsApi::SetTrace(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<json::object> body = BodyObject(request.body, "trace setting");
  if (!body.ok()) return respond(BadRequest(ToStd(body.status().message())));
  const json::object settings = TraceSettings();
  for (const auto& [key, value] : *body) {
    const std::string_view name(key);
    const json::value* current = settings.if_contains(key);
    if (current == nullptr) {
      return respond(BadRequest(StrCat("trace setting \"", name, "\" is not supported")));
    }
    // null resets a setting to its default, which is all inferd has.
    if (value.is_null() || value == *current) continue;
    if (name == "trace_level" && value.is_array() && value.get_array().size() == 1 &&
        value.get_array()[0] == json::value("OFF")) {
      continue;
    }
    return respond(BadRequest(StrCat("trace setting \"", name,
                                     "\": inferd does not trace requests; only the values "
                                     "GET /v2/trace/setting shows are accepted")));
  }
  respond(JsonBody(200, json::serialize(settings)));
}

}  // namespace inferd
