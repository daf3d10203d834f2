#pragma once

// The access log: one line per answered request (time, method, path,
// status, bytes, duration, request id), through the process logger, so it
// follows --log-format (text key=value pairs or JSON lines) and
// --log-level (access lines are at info). A 5xx is always logged, at error
// level and with its cause (the response's error message), even with the
// access log off: a server error must never pass silently.
//
// Also the request id that ties a log line to a client's request: the
// client's own X-Request-Id when it is usable, else a new one; the server
// returns it in the response's X-Request-Id.
// Stateless functions; thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "http/http_message.h"

namespace inferd {

struct AccessRecord {
  std::string method;      // as sent (cut to 64 bytes)
  std::string path;        // percent-encoded, without the query (may hold secrets)
  std::string request_id;
  int status = 0;
  size_t bytes = 0;        // response body bytes written
  absl::Time started;      // when the request's header had arrived
  std::string error;       // for a 5xx: what the response says went wrong
};

// `client_id` when it is 1..128 visible ASCII characters, else a new random
// id (16 hex digits).
std::string RequestIdFor(std::optional<std::string_view> client_id);

// What a failed response says went wrong: its JSON "error" (a string, or an
// object's "message" as OpenAI routes answer), else the start of its body.
std::string ErrorCauseOf(const HttpResponse& response);

// Logs `record` as of `finished`: at info when `access_log` is on, and at
// error level (with record.error) for every 5xx.
void LogAccess(const AccessRecord& record, bool access_log, absl::Time finished);

}  // namespace inferd
