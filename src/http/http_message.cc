#include "http/http_message.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd {

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

void CancelSignal::OnCancel(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!cancelled_) {
      on_cancel_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

void CancelSignal::Cancel() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    callbacks.swap(on_cancel_);
  }
  for (auto& fn : callbacks) fn();
}

bool CancelSignal::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
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

}  // namespace inferd
