#include "http/http_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "common/utf8.h"

namespace inferd {

bool RequestCaller::HasScope(std::string_view scope) const {
  for (const std::string& held : scopes) {
    if (held == scope) return true;
  }
  return false;
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, ToAbsl(name))) return value;
  }
  return std::nullopt;
}

const std::string& HttpRequest::param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = path_params.find(name);
  return it == path_params.end() ? kEmpty : it->second;
}

std::string_view MethodLabel(std::string_view method) {
  static constexpr std::string_view kKnown[] = {"GET",     "HEAD",    "POST",
                                                "PUT",     "DELETE",  "CONNECT",
                                                "OPTIONS", "TRACE",   "PATCH"};
  for (std::string_view known : kKnown) {
    if (method == known) return known;
  }
  return "other";
}

HttpResponse JsonError(int status, std::string_view message) {
  boost::json::object body;
  body["error"] = message;
  return JsonBody(status, boost::json::serialize(body));
}

HttpResponse JsonBody(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

bool IsJsonText(std::string_view content_type) {
  const std::string type = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(ToAbsl(content_type.substr(0, content_type.find(';')))));
  return type == "application/json" || type == "application/x-ndjson" ||
         type == "text/event-stream" || absl::EndsWith(type, "+json");
}

void RepairUtf8(std::string& text) {
  if (!IsValidUtf8(text)) text = ToValidUtf8(text);
}

}  // namespace inferd
