#include "http/access_log.h"

#include <random>

#include "boost/json.hpp"
#include "common/logging.h"
#include "fmt/format.h"

namespace inferd {
namespace {

constexpr size_t kMaxClientIdLength = 128;
constexpr size_t kMaxLoggedLength = 1024;

std::string_view Cut(std::string_view text) { return text.substr(0, kMaxLoggedLength); }

}  // namespace

std::string RequestIdFor(std::optional<std::string_view> client_id) {
  if (client_id && !client_id->empty() && client_id->size() <= kMaxClientIdLength) {
    bool visible = true;
    for (unsigned char c : *client_id) visible = visible && c > ' ' && c < 0x7f;
    if (visible) return std::string(*client_id);
  }
  thread_local std::mt19937_64 random{std::random_device{}()};
  return fmt::format("{:016x}", random());
}

std::string ErrorCauseOf(const HttpResponse& response) {
  if (response.stream) return "(streamed response)";
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(response.body, ec);
  if (!ec && parsed.is_object()) {
    if (const boost::json::value* error = parsed.as_object().if_contains("error")) {
      if (error->is_string()) return std::string(error->get_string());
      if (error->is_object()) {
        const boost::json::value* message = error->as_object().if_contains("message");
        if (message && message->is_string()) return std::string(message->get_string());
      }
    }
  }
  return std::string(Cut(response.body));
}

void LogAccess(const AccessRecord& record, bool access_log, absl::Time finished) {
  const bool failed = record.status >= 500;
  if (!failed && !access_log) return;
  const double duration_ms = absl::ToDoubleMilliseconds(finished - record.started);
  if (failed) {
    LogEvent(spdlog::level::err, "access",
             {{"method", record.method}, {"path", Cut(record.path)}, {"status", record.status},
              {"bytes", record.bytes}, {"duration_ms", duration_ms},
              {"request_id", record.request_id}, {"error", Cut(record.error)}});
    return;
  }
  LogEvent(spdlog::level::info, "access",
           {{"method", record.method}, {"path", Cut(record.path)}, {"status", record.status},
            {"bytes", record.bytes}, {"duration_ms", duration_ms},
            {"request_id", record.request_id}});
}

}  // namespace inferd
