#include "api/webhook_http_notifier.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "api/job_json.h"
#include "boost/asio.hpp"
#include "boost/beast.hpp"
#include "boost/json.hpp"
#include "boost/url.hpp"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/url_redaction.h"

namespace inferd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

absl::Status WebhookHttpNotifier::Deliver(const jobs::Job& job) {
  absl::Status status = Post(job);
  if (metrics_) metrics_->WebhookDelivered(status.ok());
  return status;
}

absl::Status WebhookHttpNotifier::Post(const jobs::Job& job) {
  INFERD_RETURN_IF_ERROR(ValidateWebhookUrl(job.webhook_url));
  boost::urls::url_view url = *boost::urls::parse_absolute_uri(job.webhook_url);
  const std::string host = url.host();
  const std::string port = url.has_port() ? std::string(url.port()) : "80";
  std::string target(url.encoded_target());
  if (target.empty()) target = "/";

  asio::io_context io;
  beast::tcp_stream stream(io);
  const auto deadline = std::chrono::microseconds(absl::ToInt64Microseconds(timeout_));
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return absl::UnavailableError(StrCat("webhook: cannot resolve ", host, ": ", ec.message()));
  // Errors are stored in the job document: they name the URL without its
  // credentials.
  const std::string shown_url = RedactUrl(job.webhook_url);

  bhttp::request<bhttp::string_body> request{bhttp::verb::post, target, 11};
  request.set(bhttp::field::host, std::string(url.encoded_host_and_port()));
  request.set(bhttp::field::user_agent, "inferd");
  request.set(bhttp::field::content_type, "application/json");
  request.set("Job-Id", job.id);
  // user:password@ in the URL is sent as HTTP Basic authentication
  // (RFC 7617), as curl and browsers do; the target never carries it.
  if (url.has_userinfo()) {
    const std::string credentials = StrCat(url.user(), ":", url.password());
    request.set(bhttp::field::authorization,
                StrCat("Basic ", absl::Base64Escape(ToAbsl(credentials))));
  }
  request.body() = boost::json::serialize(JobDocument(job));
  request.prepare_payload();

  // Each step is bounded by what is left of the one timeout.
  bhttp::response<bhttp::string_body> response;
  beast::flat_buffer buffer;
  stream.expires_after(deadline);
  stream.async_connect(endpoints, [&](boost::system::error_code e, const auto&) {
    ec = e;
    if (ec) return;
    bhttp::async_write(stream, request, [&](boost::system::error_code e, size_t) {
      ec = e;
      if (ec) return;
      bhttp::async_read(stream, buffer, response,
                        [&](boost::system::error_code e, size_t) { ec = e; });
    });
  });
  io.run();
  stream.socket().close();
  if (ec) return absl::UnavailableError(StrCat("webhook ", shown_url, ": ", ec.message()));
  const unsigned code = response.result_int();
  if (code < 200 || code >= 300) {
    return absl::UnavailableError(StrCat("webhook ", shown_url, " answered ", code));
  }
  return absl::OkStatus();
}

}  // namespace inferd
