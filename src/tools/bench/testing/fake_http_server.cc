#include "tools/bench/testing/fake_http_server.h"

#include <utility>

#include "boost/asio/as_tuple.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"

namespace inferd::bench::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

FakeHttpServer::FakeHttpServer(Options options)
    : options_(std::move(options)),
      acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
  port_ = acceptor_.local_endpoint().port();
  Accept();
  thread_ = std::thread([this] { io_.run(); });
}

FakeHttpServer::~FakeHttpServer() {
  io_.stop();
  thread_.join();
}

std::map<int, int64_t> FakeHttpServer::responses() const {
  absl::MutexLock lock(&mu_);
  return responses_;
}

std::vector<std::string> FakeHttpServer::bodies() const {
  absl::MutexLock lock(&mu_);
  return bodies_;
}

void FakeHttpServer::Accept() {
  acceptor_.async_accept(
      [this](boost::system::error_code ec, tcp::socket socket) {
        if (ec) return;
        ++connections_;
        Serve(std::move(socket));
        Accept();
      });
}

void FakeHttpServer::Serve(tcp::socket socket) {
  asio::co_spawn(
      io_,
      [this, socket = std::move(socket)]() mutable -> asio::awaitable<void> {
        beast::tcp_stream stream(std::move(socket));
        beast::flat_buffer buffer;
        for (int served = 1;; ++served) {
          http::request<http::string_body> request;
          auto [ec, n] = co_await http::async_read(
              stream, buffer, request, asio::as_tuple(asio::use_awaitable));
          if (ec) co_return;
          const int64_t sequence = requests_.fetch_add(1);
          const int status =
              options_.status_for ? options_.status_for(sequence) : 200;
          {
            absl::MutexLock lock(&mu_);
            ++responses_[status];
            bodies_.push_back(request.body());
          }
          if (options_.stream_for && status < 300) {
            if (!co_await Stream(stream, options_.stream_for(sequence))) {
              co_return;
            }
            continue;
          }
          http::response<http::string_body> response(
              static_cast<http::status>(status), 11);
          response.set(http::field::content_type, "application/json");
          response.body() =
              status < 300 ? "{\"ok\":true}" : "{\"error\":\"x\"}";
          const bool close =
              options_.close_every > 0 && served % options_.close_every == 0;
          response.keep_alive(!close);
          response.prepare_payload();
          auto [write_ec, written] = co_await http::async_write(
              stream, response, asio::as_tuple(asio::use_awaitable));
          if (write_ec || close) {
            boost::system::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
          }
        }
      },
      asio::detached);
}

asio::awaitable<bool> FakeHttpServer::Stream(beast::tcp_stream& stream,
                                             std::vector<std::string> pieces) {
  constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
  http::response<http::empty_body> header(http::status::ok, 11);
  header.set(http::field::content_type, "text/event-stream");
  header.chunked(true);
  http::response_serializer<http::empty_body> serializer(header);
  auto [ec, n] = co_await http::async_write_header(stream, serializer, kTuple);
  if (ec) co_return false;
  for (const std::string& piece : pieces) {
    auto [piece_ec, written] = co_await asio::async_write(
        stream, http::make_chunk(asio::buffer(piece)), kTuple);
    if (piece_ec) co_return false;
  }
  auto [last_ec, written] =
      co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
  co_return !last_ec;
}

uint16_t UnusedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io,
                         tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace inferd::bench::testing
