#pragma once

// Triton's logging and trace extensions, as far as inferd implements them:
//
//   GET/POST /v2/logging        the log level and line format, changed at
//                               runtime (Triton's settings: log_info,
//                               log_warning, log_error, log_verbose_level,
//                               log_format, log_file)
//   GET/POST /v2/trace/setting  the trace settings; inferd does not trace,
//                               so it answers trace_level ["OFF"] and
//                               accepts only settings that keep it off
//
// A POST answers with the settings in force afterwards. Settings inferd
// does not have (a log file, tracing) are a 400 naming them. Thread-safe.

#include "api/api_context.h"
#include "http/http_message.h"

namespace inferd {

class ServerSettingsApi {
 public:
  explicit ServerSettingsApi(const ApiContext* context) : context_(context) {}

  void GetLogging(const HttpRequest& request, Responder respond) const;
  void SetLogging(const HttpRequest& request, Responder respond) const;
  void GetTrace(const HttpRequest& request, Responder respond) const;
  void SetTrace(const HttpRequest& request, Responder respond) const;

 private:
  const ApiContext* context_;
};

}  // namespace inferd
