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

uint16_t UnusedPort() {
  asio::io_context io;
  tcp::acceptor acceptor(io,
                         tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace inferd::bench::testing
