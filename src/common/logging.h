#pragma once

// Process-wide logging setup. Components log through spdlog's default logger
// (stderr, with timestamps); this sets its level and line format once at
// startup.
//
// Two line formats: text (`2024-05-01T12:00:00.123 info message`) and JSON
// lines (`{"time":"2024-05-01T10:00:00.123Z","level":"info","msg":"message"}`)
// for log collectors. Every line follows the chosen format, spdlog::info()
// calls included. LogEvent() adds named fields to a line: JSON members in
// JSON, `key=value` pairs in text.
// Thread-safe after configuration; configure before other threads log.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "spdlog/common.h"

namespace inferd {

enum class LogFormat { kText, kJson };

struct LoggingOptions {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text | json
  // Where lines go; null means stderr. Tests pass a sink that captures.
  spdlog::sink_ptr sink;
};

// Sets up the default logger. Returns InvalidArgument naming the flag and
// the accepted values for a bad level or format; nothing changes then.
// May be called again (tests do); the last call wins.
absl::Status ConfigureLogging(const LoggingOptions& options);

// Accepts trace, debug, info, warn, error, off. Returns InvalidArgument for
// anything else, naming the accepted values. Keeps the current format.
absl::Status SetLogLevel(std::string_view level);

// Switches every line to `format` (text or json) at runtime, keeping the
// level and the sink. InvalidArgument naming the accepted values otherwise.
absl::Status SetLogFormat(std::string_view format);

// The format in use.
LogFormat CurrentLogFormat();

// One named value of a structured log line.
struct LogField {
  using Value = std::variant<std::string_view, int64_t, double>;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, size_t v) : key(k), value(static_cast<int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}

  std::string_view key;  // a plain identifier: letters, digits, '_'
  Value value;
};

// Logs `message` with `fields` at `level` on the default logger's sink.
// Text: `message key=value key="value with spaces"`; JSON: one object with
// "time", "level", "msg" and each field as a member.
void LogEvent(spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<LogField> fields);

// `text` as the contents of a JSON string (quotes not included): escapes
// quotes, backslashes and control characters; invalid UTF-8 passes through.
void AppendJsonEscaped(std::string_view text, std::string* out);

}  // namespace inferd
