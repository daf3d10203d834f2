#include "http/http_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/strings.h"
#include "boost/asio.hpp"
#include "boost/asio/experimental/awaitable_operators.hpp"
#include "boost/beast.hpp"
#include "boost/url.hpp"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(Options options, const RouteTable* routes)
      : options_(std::move(options)),
        routes_(routes),
        io_(std::max(1, options_.io_threads)),
        acceptor_(io_) {}

  absl::Status Listen() {
    boost::system::error_code ec;
    asio::ip::address address = asio::ip::make_address(options_.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          StrCat("--host \"", options_.host, "\" is not an IP address"));
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(StrCat(
          "cannot listen on ", options_.host, ":", options_.port, ": ", ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return absl::OkStatus();
  }

  void Start() {
    asio::co_spawn(io_, Accept(), asio::detached);
    for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  void Shutdown(absl::Duration grace) {
    if (shut_down_.exchange(true)) return;
    draining_ = true;
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    const absl::Time deadline = absl::Now() + grace;
    while (active_requests_ > 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    if (active_requests_ > 0) {
      spdlog::warn("shutdown: {} requests still running after the grace period",
                   active_requests_.load());
    }
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  int port() const { return port_; }
  int active_requests() const { return active_requests_; }
  int open_connections() const { return open_connections_; }

 private:
  asio::awaitable<void> Accept() {
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
        // Out of descriptors and the like: back off instead of spinning.
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer timer(io_, std::chrono::milliseconds(50));
        co_await timer.async_wait(kTuple);
        continue;
      }
      boost::system::error_code opt_ec;
      socket.set_option(tcp::no_delay(true), opt_ec);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
    }
  }

  // Reads requests off one connection until it closes.
  asio::awaitable<void> Session(tcp::socket socket) {
    ++open_connections_;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (!draining_) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      parser.header_limit(64 * 1024);

      // An idle keep-alive connection may wait idle_timeout for its next
      // request; once the first byte arrives, the whole header must follow
      // within read_timeout (a client that stalls mid-header is dropped).
      if (buffer.size() == 0) {
        stream.expires_after(ToChrono(options_.idle_timeout));
        auto [first_ec, first_bytes] =
            co_await stream.async_read_some(buffer.prepare(4096), kTuple);
        if (first_ec) break;
        buffer.commit(first_bytes);
      }
      stream.expires_after(ToChrono(options_.read_timeout));
      auto [header_ec, header_bytes] =
          co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      if (header_ec == bhttp::error::body_limit) {
        co_await WriteError(stream, 413, "request body is larger than --max-body-bytes");
        break;
      }
      if (header_ec) {
        if (header_ec != bhttp::error::end_of_stream &&
            header_ec != beast::error::timeout &&
            header_ec != asio::error::operation_aborted &&
            header_ec != asio::error::connection_reset && buffer.size() > 0) {
          co_await WriteError(stream, 400,
                              StrCat("malformed HTTP request: ", header_ec.message()));
        }
        break;
      }
      ++active_requests_;
      const bool keep_going = co_await HandleOne(stream, buffer, parser);
      --active_requests_;
      if (!keep_going) break;
    }
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
    --open_connections_;
  }

  // Reads the body, dispatches, writes the response. Returns whether the
  // connection may carry another request.
  asio::awaitable<bool> HandleOne(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                  bhttp::request_parser<bhttp::string_body>& parser) {
    auto& header = parser.get();
    if (absl::EqualsIgnoreCase(std::string(header[bhttp::field::expect]), "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      stream.expires_after(ToChrono(options_.read_timeout));
      auto [ec, n] = co_await bhttp::async_write(stream, go_on, kTuple);
      if (ec) co_return false;
    }
    if (!parser.is_done()) {
      stream.expires_after(ToChrono(options_.read_timeout));
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      if (ec == bhttp::error::body_limit) {
        co_await WriteError(stream, 413, "request body is larger than --max-body-bytes");
        co_return false;
      }
      if (ec) {
        if (ec == beast::error::timeout) {
          spdlog::debug("closing a connection that sent an incomplete request");
        } else if (ec != bhttp::error::end_of_stream &&
                   ec != asio::error::connection_reset) {
          co_await WriteError(stream, 400,
                              StrCat("malformed HTTP request: ", ec.message()));
        }
        co_return false;
      }
    }
    stream.expires_never();

    bhttp::request<bhttp::string_body> message = parser.release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    auto target = boost::urls::parse_origin_form(message.target());
    if (!target) {
      co_await WriteError(stream, 400, "malformed request target");
      co_return false;
    }
    request.path = std::string(target->path());
    request.query = std::string(target->encoded_query());
    for (const auto& field : message) {
      request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())),
                                   std::string(field.value()));
    }
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

    // Watch for the client going away while the handler works, so queued
    // work for a vanished client can be dropped.
    std::shared_ptr<CancelSignal> cancel = request.cancel;
    auto& socket = stream.socket();
    asio::co_spawn(
        socket.get_executor(),
        [&socket, cancel]() -> asio::awaitable<void> {
          auto [ec] = co_await socket.async_wait(tcp::socket::wait_read, kTuple);
          if (ec) co_return;  // the answer came first
          char byte;
          const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) cancel->Cancel();
        },
        asio::detached);

    const std::string method = request.method;
    std::string route = "unmatched";
    HttpResponse response = co_await Dispatch(std::move(request), &route);
    if (response.stream && !cancel->cancelled()) {
      // The watcher keeps running while the stream is written: a client
      // that leaves ends the stream.
      std::shared_ptr<ResponseStream> body = response.stream;
      cancel->OnCancel([body] { body->Close(); });
      const int status = response.status;
      const bool ok = co_await WriteStream(stream, std::move(response), version);
      boost::system::error_code stop_ec;
      socket.cancel(stop_ec);
      body->Close();  // lets the producer release what it holds
      CountRequest(route, method, status);
      co_return ok && keep_alive && !draining_;
    }
    if (response.stream) response.stream->Close();  // its client is gone
    boost::system::error_code cancel_ec;
    socket.cancel(cancel_ec);
    CountRequest(route, method, response.status);
    if (cancel->cancelled()) co_return false;

    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status),
                                            version};
    out.set(bhttp::field::server, "inferd");
    out.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    out.body() = std::move(response.body);
    out.keep_alive(keep_alive && !draining_);
    out.prepare_payload();
    stream.expires_after(ToChrono(options_.read_timeout));
    auto [ec, n] = co_await bhttp::async_write(stream, out, kTuple);
    co_return !ec && out.keep_alive();
  }

  // Runs the route's handler and resumes this coroutine, on its own
  // executor, when the handler responds (possibly from another thread).
  // Sets *route to the matched pattern.
  asio::awaitable<HttpResponse> Dispatch(HttpRequest request, std::string* route) {
    RouteTable::Match match = routes_->Find(request);
    if (!match.pattern.empty()) *route = match.pattern;
    if (match.status == 404) {
      co_return JsonError(404, StrCat("no route for ", request.path));
    }
    if (match.status == 405) {
      HttpResponse r = JsonError(405, StrCat("method ", request.method,
                                                   " is not allowed on ", request.path,
                                                   "; allowed: ", match.allow));
      r.headers.emplace_back("Allow", match.allow);
      co_return r;
    }
    const RouteTable::Handler* handler = match.handler;
    Gauge* in_flight = options_.metrics
                           ? options_.metrics->ForRoute(match.pattern).in_flight
                           : nullptr;
    if (in_flight) in_flight->Add(1);
    HttpResponse response =
        co_await asio::async_initiate<decltype(use_awaitable), void(HttpResponse)>(
        [handler, &request](auto completion) {
          auto shared = std::make_shared<decltype(completion)>(std::move(completion));
          (*handler)(std::move(request), [shared](HttpResponse response) {
            auto executor = asio::get_associated_executor(*shared);
            asio::post(executor, [shared, response = std::move(response)]() mutable {
              (*shared)(std::move(response));
            });
          });
        },
        use_awaitable);
    if (in_flight) in_flight->Add(-1);
    co_return response;
  }

  void CountRequest(const std::string& route, const std::string& method, int status) {
    if (!options_.metrics) return;
    options_.metrics->ForRoute(route).requests
        ->WithLabels({route, method, std::to_string(status)})
        ->Increment();
  }

  // Writes a streamed response: headers at once, then each chunk as the
  // stream produces it (chunked encoding), then the last chunk. Returns
  // whether every write succeeded and the stream ended normally.
  asio::awaitable<bool> WriteStream(beast::tcp_stream& stream, HttpResponse response,
                                    unsigned version) {
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status),
                                            version};
    head.set(bhttp::field::server, "inferd");
    head.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) head.set(name, value);
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    stream.expires_after(ToChrono(options_.read_timeout));
    auto [head_ec, head_n] = co_await bhttp::async_write_header(stream, serializer, kTuple);
    if (head_ec) co_return false;
    ResponseStream* body = response.stream.get();
    while (true) {
      std::optional<std::string> chunk =
          co_await asio::async_initiate<decltype(use_awaitable),
                                        void(std::optional<std::string>)>(
              [body](auto completion) {
                auto shared = std::make_shared<decltype(completion)>(std::move(completion));
                body->Next([shared](std::optional<std::string> next) {
                  auto executor = asio::get_associated_executor(*shared);
                  asio::post(executor, [shared, next = std::move(next)]() mutable {
                    (*shared)(std::move(next));
                  });
                });
              },
              use_awaitable);
      stream.expires_after(ToChrono(options_.read_timeout));
      if (!chunk) {
        auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), kTuple);
        co_return !ec;
      }
      auto [ec, n] =
          co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(*chunk)), kTuple);
      if (ec) co_return false;
    }
  }

  asio::awaitable<void> WriteError(beast::tcp_stream& stream, int status,
                                   std::string message) {
    HttpResponse error = JsonError(status, message);
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status), 11};
    out.set(bhttp::field::server, "inferd");
    out.set(bhttp::field::content_type, error.content_type);
    out.body() = std::move(error.body);
    out.keep_alive(false);
    out.prepare_payload();
    stream.expires_after(std::chrono::seconds(5));
    co_await bhttp::async_write(stream, out, kTuple);
  }

  const Options options_;
  const RouteTable* routes_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
  std::atomic<bool> draining_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int> active_requests_{0};
  std::atomic<int> open_connections_{0};
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Create(
    Options options, const RouteTable* routes) {
  auto impl = std::make_unique<Impl>(std::move(options), routes);
  absl::Status status = impl->Listen();
  if (!status.ok()) return status;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->Shutdown(absl::ZeroDuration()); }
int HttpServer::port() const { return impl_->port(); }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }
int HttpServer::active_requests() const { return impl_->active_requests(); }
int HttpServer::open_connections() const { return impl_->open_connections(); }

}  // namespace inferd
