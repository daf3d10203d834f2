#include "http/http_client.h"

#include <openssl/ssl.h>

#include <chrono>

#include "absl/strings/escaping.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/url.hpp"
#include "common/strings.h"
#include "common/url_redaction.h"
#include "http/tls_context.h"

namespace inferd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Writes `request` and reads the answer over `stream` (connected; for
// https, after the handshake). Sets *ec to the first failure.
template <class Stream>
asio::awaitable<void> Exchange(Stream& stream, bhttp::request<bhttp::string_body>& request,
                               bhttp::response<bhttp::string_body>& response,
                               boost::system::error_code* ec) {
  auto [write_ec, written] = co_await bhttp::async_write(stream, request, kTuple);
  if (write_ec) {
    *ec = write_ec;
    co_return;
  }
  beast::flat_buffer buffer;
  auto [read_ec, read] = co_await bhttp::async_read(stream, buffer, response, kTuple);
  *ec = read_ec;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(Options options) {
  absl::StatusOr<std::unique_ptr<asio::ssl::context>> tls = MakeClientTlsContext(options.ca_file);
  if (!tls.ok()) return tls.status();
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(options), *std::move(tls)));
}

HttpClient::HttpClient(Options options, std::unique_ptr<asio::ssl::context> tls)
    : options_(std::move(options)), tls_(std::move(tls)) {}

HttpClient::~HttpClient() = default;

absl::Status HttpClient::Post(const HttpPost& post) const {
  // Errors name the URL without its credentials.
  const std::string shown_url = RedactUrl(post.url);
  auto parsed = boost::urls::parse_absolute_uri(post.url);
  if (!parsed || !parsed->has_authority() ||
      (parsed->scheme_id() != boost::urls::scheme::http &&
       parsed->scheme_id() != boost::urls::scheme::https)) {
    return absl::InvalidArgumentError(
        StrCat("\"", shown_url, "\" is not an absolute http:// or https:// URL"));
  }
  boost::urls::url_view url = *parsed;

  // Resolved once: with a policy, to the addresses it checked.
  static const OutboundPolicy kAnyAddress = *OutboundPolicy::Create({"0.0.0.0/0", "::/0"});
  const OutboundPolicy* policy = options_.policy ? options_.policy : &kAnyAddress;
  absl::StatusOr<OutboundTarget> target = policy->Resolve(post.url);
  if (!target.ok()) return target.status();
  std::vector<tcp::endpoint> endpoints;
  for (const std::string& address : target->addresses) {
    boost::system::error_code parse_ec;
    asio::ip::address ip = asio::ip::make_address(address, parse_ec);
    if (!parse_ec) endpoints.emplace_back(ip, target->port);
  }

  std::string path(url.encoded_target());
  if (path.empty()) path = "/";
  bhttp::request<bhttp::string_body> request{bhttp::verb::post, path, 11};
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

  asio::io_context io;
  const auto deadline =
      std::chrono::microseconds(absl::ToInt64Microseconds(options_.timeout));
  bhttp::response<bhttp::string_body> response;
  boost::system::error_code ec;
  const bool https = target->scheme == "https";
  const std::string host = target->host;
  auto exchange = [&]() -> asio::awaitable<void> {
    beast::tcp_stream tcp(io);
    tcp.expires_after(deadline);
    auto [connect_ec, connected] = co_await tcp.async_connect(endpoints, kTuple);
    if (connect_ec) {
      ec = connect_ec;
      co_return;
    }
    if (!https) {
      co_await Exchange(tcp, request, response, &ec);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), *tls_);
    // SNI for names (not for addresses, RFC 6066 3), and the certificate
    // must name the host (or address) of the URL.
    boost::system::error_code ip_ec;
    asio::ip::make_address(host, ip_ec);
    if (ip_ec) SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    stream.set_verify_callback(asio::ssl::host_name_verification(host));
    auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::client, kTuple);
    if (handshake_ec) {
      ec = handshake_ec;
      co_return;
    }
    co_await Exchange(stream, request, response, &ec);
    if (!ec) {
      beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
      co_await stream.async_shutdown(kTuple);  // the answer is in; its outcome does not matter
    }
  };
  asio::co_spawn(io, exchange(), asio::detached);
  io.run();
  if (ec) {
    std::string reason = ec.message();
    if (ec.category() == asio::error::get_ssl_category()) {
      reason = StrCat("TLS: ", reason);
    }
    return absl::UnavailableError(StrCat(shown_url, ": ", reason));
  }
  const unsigned code = response.result_int();
  if (code < 200 || code >= 300) {
    return absl::UnavailableError(StrCat(shown_url, " answered ", code));
  }
  return absl::OkStatus();
}

absl::Status SendHttpPost(const HttpPost& post, absl::Duration timeout) {
  HttpClient::Options options;
  options.timeout = timeout;
  absl::StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Create(options);
  if (!client.ok()) return client.status();
  return (*client)->Post(post);
}

}  // namespace inferd
