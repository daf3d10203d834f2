#include "common/logging.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

constexpr char kTextPattern[] = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v";
// LogEvent() lines go through a second logger on the same sink: its name
// tells the JSON formatter that the payload is already a list of members.
constexpr char kEventLoggerName[] = "inferd.event";

std::mutex g_mu;  // serializes (re)configuration
std::shared_ptr<spdlog::logger> g_event_logger;
std::atomic<LogFormat> g_format{LogFormat::kText};

absl::StatusOr<spdlog::level::level_enum> ParseLevel(std::string_view level) {
  if (level == "trace") return spdlog::level::trace;
  if (level == "debug") return spdlog::level::debug;
  if (level == "info") return spdlog::level::info;
  if (level == "warn" || level == "warning") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "off") return spdlog::level::off;
  return absl::InvalidArgumentError(StrCat(
      "log level \"", level, "\" is not one of trace, debug, info, warn, error, off"));
}

absl::StatusOr<LogFormat> ParseFormat(std::string_view format) {
  if (format == "text") return LogFormat::kText;
  if (format == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      StrCat("--log-format \"", format, "\" is not one of text, json"));
}

std::string_view LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// {"time":"...Z","level":"info","msg":"..."} per line. Payloads from the
// event logger are already `"msg":...,"key":...` and are copied as they are.
class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"time\":\"";
    line += absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(msg.time),
                             absl::UTCTimeZone());
    line += "\",\"level\":\"";
    line += LevelName(msg.level);
    line += "\",";
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (std::string_view(msg.logger_name.data(), msg.logger_name.size()) ==
        kEventLoggerName) {
      line += payload;
    } else {
      line += "\"msg\":\"";
      AppendJsonEscaped(payload, &line);
      line += '"';
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Text values that a reader could misparse are quoted (JSON string rules).
void AppendTextValue(std::string_view value, std::string* out) {
  bool plain = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->append(value);
    return;
  }
  *out += '"';
  AppendJsonEscaped(value, out);
  *out += '"';
}

// Length of the valid UTF-8 sequence starting at text[i], or 0.
size_t Utf8SequenceLength(std::string_view text, size_t i) {
  const unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const unsigned char c = static_cast<unsigned char>(text[i + k]);
    if (c < 0x80 || c > 0xBF) return 0;
  }
  return length;
}

}  // namespace

void AppendJsonEscaped(std::string_view text, std::string* out) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    switch (c) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7f) {
      *out += StrCat("\\u00", "0123456789abcdef"[c >> 4], "0123456789abcdef"[c & 15]);
    } else if (c < 0x80) {
      *out += static_cast<char>(c);
    } else if (size_t n = Utf8SequenceLength(text, i); n > 0) {
      out->append(text.substr(i, n));
      i += n - 1;
    } else {
      *out += "\\ufffd";  // keeps the line valid JSON
    }
  }
}

absl::Status ConfigureLogging(const LoggingOptions& options) {
  absl::StatusOr<spdlog::level::level_enum> level = ParseLevel(options.level);
  if (!level.ok()) return level.status();
  absl::StatusOr<LogFormat> format = ParseFormat(options.format);
  if (!format.ok()) return format.status();

  std::lock_guard<std::mutex> lock(g_mu);
  spdlog::sink_ptr sink = options.sink;
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  if (*format == LogFormat::kJson) {
    sink->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(kTextPattern));
  }
  // Built by hand, not through spdlog's registry, so a second call (tests)
  // never fails on a name that is already registered.
  auto logger = std::make_shared<spdlog::logger>("inferd", sink);
  auto event_logger = std::make_shared<spdlog::logger>(kEventLoggerName, sink);
  logger->set_level(*level);
  event_logger->set_level(*level);
  spdlog::set_default_logger(logger);
  std::atomic_store(&g_event_logger, event_logger);
  g_format = *format;
  return absl::OkStatus();
}

absl::Status SetLogLevel(std::string_view level) {
  absl::StatusOr<spdlog::level::level_enum> parsed = ParseLevel(level);
  if (!parsed.ok()) return parsed.status();
  if (!std::atomic_load(&g_event_logger)) {
    LoggingOptions options;
    options.level = std::string(level);
    return ConfigureLogging(options);
  }
  spdlog::set_level(*parsed);
  std::atomic_load(&g_event_logger)->set_level(*parsed);
  return absl::OkStatus();
}

absl::Status SetLogFormat(std::string_view format) {
  absl::StatusOr<LogFormat> parsed = ParseFormat(format);
  if (!parsed.ok()) return parsed.status();
  std::lock_guard<std::mutex> lock(g_mu);
  // The sinks are shared by both loggers; a _mt sink swaps its formatter
  // under its own lock, so lines being written meanwhile stay whole.
  for (const spdlog::sink_ptr& sink : spdlog::default_logger()->sinks()) {
    if (*parsed == LogFormat::kJson) {
      sink->set_formatter(std::make_unique<JsonFormatter>());
    } else {
      sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(kTextPattern));
    }
  }
  g_format = *parsed;
  return absl::OkStatus();
}

LogFormat CurrentLogFormat() { return g_format.load(); }

void LogEvent(spdlog::level::level_enum level, std::string_view message,
              std::initializer_list<LogField> fields) {
  std::shared_ptr<spdlog::logger> logger = std::atomic_load(&g_event_logger);
  if (!logger) logger = spdlog::default_logger();
  if (!logger->should_log(level)) return;
  std::string line;
  const bool json = g_format.load() == LogFormat::kJson;
  if (json) {
    line += "\"msg\":\"";
    AppendJsonEscaped(message, &line);
    line += '"';
  } else {
    line += message;
  }
  for (const LogField& field : fields) {
    if (json) {
      line += ",\"";
      line += field.key;
      line += "\":";
    } else {
      line += ' ';
      line += field.key;
      line += '=';
    }
    if (const auto* text = std::get_if<std::string_view>(&field.value)) {
      if (json) {
        line += '"';
        AppendJsonEscaped(*text, &line);
        line += '"';
      } else {
        AppendTextValue(*text, &line);
      }
    } else if (const auto* integer = std::get_if<int64_t>(&field.value)) {
      line += std::to_string(*integer);
    } else if (const double real = std::get<double>(field.value); std::isfinite(real)) {
      line += fmt::format("{:.3f}", real);
    } else {
      line += json ? "null" : "nan";
    }
  }
  logger->log(level, spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace inferd
