#include "http/http_client.h"

#include <chrono>

#include "absl/strings/escaping.h"
#include "boost/asio.hpp"
#include "boost/beast.hpp"
#include "boost/url.hpp"
#include "common/strings.h"
#include "common/url_redaction.h"

namespace inferd {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

absl::Status SendHttpPost(const HttpPost& post, absl::Duration timeout) {
  auto parsed = boost::urls::parse_absolute_uri(post.url);
  if (!parsed || parsed->scheme() != "http" || !parsed->has_authority()) {
    return absl::InvalidArgumentError(
        StrCat("\"", RedactUrl(post.url), "\" is not an absolute http:// URL"));
  }
  boost::urls::url_view url = *parsed;
  const std::string host = url.host();
  const std::string port = url.has_port() ? std::string(url.port()) : "80";
  std::string target(url.encoded_target());
  if (target.empty()) target = "/";
  // Errors name the URL without its credentials.
  const std::string shown_url = RedactUrl(post.url);

  asio::io_context io;
  beast::tcp_stream stream(io);
  const auto deadline = std::chrono::microseconds(absl::ToInt64Microseconds(timeout));
  boost::system::error_code ec;
  asio::ip::tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host, port, ec);
  if (ec) return absl::UnavailableError(StrCat("cannot resolve ", host, ": ", ec.message()));

  bhttp::request<bhttp::string_body> request{bhttp::verb::post, target, 11};
  request.set(bhttp::field::host, std::string(url.encoded_host_and_port()));
  request.set(bhttp::field::user_agent, "inferd");
  request.set(bhttp::field::content_type, post.content_type);
  for (const auto& [name, value] : post.headers) request.set(name, value);
  if (url.has_userinfo()) {
    const std::string credentials = StrCat(url.user(), ":", url.password());
    request.set(bhttp::field::authorization,
                StrCat("Basic ", absl::Base64Escape(ToAbsl(credentials))));
  }
  request.body() = post.body;
  request.prepare_payload();

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
  if (ec) return absl::UnavailableError(StrCat(shown_url, ": ", ec.message()));
  const unsigned code = response.result_int();
  if (code < 200 || code >= 300) {
    return absl::UnavailableError(StrCat(shown_url, " answered ", code));
  }
  return absl::OkStatus();
}

}  // namespace inferd
