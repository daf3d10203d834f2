#include "tools/bench/http_load_client.h"

#include <utility>

#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/connect.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/http/span_body.hpp"
#include "common/strings.h"

namespace inferd::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

TransportError Classify(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return TransportError::kTimeout;
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    return TransportError::kTooLarge;
  }
  if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::broken_pipe || ec == asio::error::connection_aborted) {
    return TransportError::kClosed;
  }
  return TransportError::kOther;
}

RoundTripResult Failure(TransportError error,
                        const boost::system::error_code& ec) {
  RoundTripResult result;
  result.error = error;
  result.detail = ec.message();
  return result;
}

}  // namespace

HttpLoadClient::HttpLoadClient(asio::any_io_executor executor,
                               std::vector<tcp::endpoint> endpoints,
                               Options options)
    : endpoints_(std::move(endpoints)),
      options_(std::move(options)),
      stream_(std::move(executor)) {}

void HttpLoadClient::Close() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

asio::awaitable<RoundTripResult> HttpLoadClient::Post(
    std::string_view target, std::string_view content_type,
    std::string_view body, bool keep_body) {
  return RoundTrip(true, target, content_type, body, keep_body);
}

asio::awaitable<RoundTripResult> HttpLoadClient::Get(std::string_view target) {
  return RoundTrip(false, target, {}, {}, true);
}

asio::awaitable<boost::system::error_code> HttpLoadClient::Send(
    bool post, std::string_view target, std::string_view content_type,
    std::string_view body) {
  if (!connected_) {
    stream_.expires_after(options_.timeout);
    auto [ec, endpoint] = co_await stream_.async_connect(endpoints_, kTuple);
    if (ec) {
      Close();  // leaves connected_ false: the caller tells connect failures
      co_return ec;
    }
    stream_.socket().set_option(tcp::no_delay(true));
    connected_ = true;
  }

  http::request<http::span_body<const char>> request(
      post ? http::verb::post : http::verb::get,
      beast::string_view(target.data(), target.size()), 11);
  request.set(http::field::host, options_.host_header);
  request.set(http::field::user_agent, "inferd-bench");
  for (const auto& [name, value] : options_.headers) request.set(name, value);
  if (post) {
    request.set(http::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
    request.body() =
        http::span_body<const char>::value_type(body.data(), body.size());
  }
  request.keep_alive(true);
  request.prepare_payload();

  stream_.expires_after(options_.timeout);
  auto [ec, written] = co_await http::async_write(stream_, request, kTuple);
  co_return ec;
}

asio::awaitable<RoundTripResult> HttpLoadClient::RoundTrip(
    bool post, std::string_view target, std::string_view content_type,
    std::string_view body, bool keep_body) {
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected_;
    boost::system::error_code ec =
        co_await Send(post, target, content_type, body);
    if (ec && !connected_) {
      co_return Failure(ec == beast::error::timeout ? TransportError::kTimeout
                                                    : TransportError::kConnect,
                        ec);
    }
    bool got_some = false;
    if (!ec) {
      http::response_parser<http::string_body> parser;
      parser.body_limit(options_.max_response_bytes);
      auto [read_ec, read] =
          co_await http::async_read(stream_, buffer_, parser, kTuple);
      if (!read_ec) {
        http::response<http::string_body>& response = parser.get();
        RoundTripResult result;
        result.status = static_cast<int>(response.result_int());
        if (keep_body) result.body = std::move(response.body());
        if (!response.keep_alive()) Close();
        co_return result;
      }
      ec = read_ec;
      got_some = parser.got_some();
    }
    Close();
    // A connection the server closed while it sat idle fails before any
    // byte of a response; the request never reached the application.
    const bool stale = reused && attempt == 0 && !got_some &&
                       Classify(ec) == TransportError::kClosed;
    if (stale) {
      ++reconnects_;
      continue;
    }
    co_return Failure(Classify(ec), ec);
  }
}

asio::awaitable<RoundTripResult> HttpLoadClient::PostStream(
    std::string_view target, std::string_view content_type,
    std::string_view body, const BodyPieceCallback& on_piece) {
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected_;
    boost::system::error_code ec =
        co_await Send(/*post=*/true, target, content_type, body);
    if (ec && !connected_) {
      co_return Failure(ec == beast::error::timeout ? TransportError::kTimeout
                                                    : TransportError::kConnect,
                        ec);
    }
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(options_.max_response_bytes);
    if (!ec) {
      stream_.expires_after(options_.timeout);
      auto [header_ec, n] =
          co_await http::async_read_header(stream_, buffer_, parser, kTuple);
      ec = header_ec;
    }
    if (ec) {
      const bool stale = reused && attempt == 0 && !parser.got_some() &&
                         Classify(ec) == TransportError::kClosed;
      Close();
      if (stale) {
        ++reconnects_;
        continue;
      }
      co_return Failure(Classify(ec), ec);
    }

    RoundTripResult result;
    result.status = static_cast<int>(parser.get().result_int());
    const bool success = result.status >= 200 && result.status < 300;
    char piece[16 * 1024];
    while (!parser.is_done()) {
      parser.get().body().data = piece;
      parser.get().body().size = sizeof(piece);
      stream_.expires_after(options_.timeout);
      auto [read_ec, n] =
          co_await http::async_read_some(stream_, buffer_, parser, kTuple);
      const auto arrived = std::chrono::steady_clock::now();
      const size_t got = sizeof(piece) - parser.get().body().size;
      if (got > 0) {
        const std::string_view bytes(piece, got);
        if (success) {
          on_piece(bytes, arrived);
        } else {
          result.body.append(bytes);
        }
      }
      if (read_ec && read_ec != http::error::need_buffer) {
        Close();
        result.error = Classify(read_ec);
        result.body_cut_off = true;
        result.detail = read_ec.message();
        co_return result;
      }
    }
    if (!parser.get().keep_alive()) Close();
    co_return result;
  }
}

absl::StatusOr<std::vector<tcp::endpoint>> ResolveEndpoints(
    const std::string& host, uint16_t port) {
  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    return absl::UnavailableError(
        StrCat("cannot resolve host \"", host, "\": ", ec.message()));
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  return endpoints;
}

RoundTripResult FetchOnce(const std::vector<tcp::endpoint>& endpoints,
                          const HttpLoadClient::Options& options,
                          const std::string& target,
                          const std::string* content_type,
                          const std::string* body) {
  asio::io_context io;
  HttpLoadClient client(io.get_executor(), endpoints, options);
  RoundTripResult result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        if (body != nullptr) {
          result = co_await client.Post(target, *content_type, *body,
                                        /*keep_body=*/true);
        } else {
          result = co_await client.Get(target);
        }
      },
      asio::detached);
  io.run();
  return result;
}

}  // namespace inferd::bench
