#include "http/http_server.h"

#include "http/content_coding.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "boost/asio.hpp"
#include "boost/beast.hpp"
#include "boost/beast/ssl.hpp"
#include "common/strings.h"
#include "http/access_log.h"
#include "http/request_target.h"
#include "http/tls_context.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

// How long a request whose client sent EOF may run before the client is
// asked (with an interim 100 response) whether it still listens.
constexpr std::chrono::milliseconds kProbeDelay{50};
// Then the connection is polled for a reset, at growing intervals.
constexpr std::chrono::milliseconds kFirstResetPoll{10};
constexpr std::chrono::milliseconds kLastResetPoll{1000};
constexpr std::string_view kInterimProbe = "HTTP/1.1 100 Continue\r\n\r\n";

// What a request's handler and its client watcher share. Both run on the
// connection's strand, so plain fields suffice.
struct ClientWatch {
  explicit ClientWatch(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool answered = false;  // the response is complete or abandoned: stop watching
  bool writing = false;   // response bytes are going out: no interim probe now
};

// Whether the peer reset the connection (it had closed its socket, and our
// write reached it). A half-closed peer stays in CLOSE_WAIT and reads.
bool PeerReset(int fd) {
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0 &&
      info.tcpi_state == TCP_CLOSE) {
    return true;
  }
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

// Watches a connection while its request is handled, and cancels the
// request when the client goes away, so queued work for it is dropped.
//
// EOF alone does not mean the client left: HTTP/1.0 tools and curl-like
// clients half-close (shutdown(SHUT_WR)) after sending the request and then
// read the answer. The two look alike until something is written: a socket
// the client closed answers a write with a reset. So on EOF, a request still
// running after kProbeDelay gets an interim "100 Continue" (HTTP/1.1 clients
// must accept 1xx responses; RFC 9110 15.2) and the connection is polled for
// the reset. HTTP/1.0 has no interim responses: there the request runs to
// its end and the write of the answer fails if the client is gone. Nor
// does HTTPS: a plain interim response cannot go into the TLS stream, and a
// TLS client that leaves says so in an encrypted alert this watcher cannot
// read; there the next write (a streamed chunk, the answer) finds out.
asio::awaitable<void> WatchClient(tcp::socket& socket, std::shared_ptr<ClientWatch> watch,
                                  std::shared_ptr<CancelSignal> cancel, bool may_probe) {
  auto [wait_ec] = co_await socket.async_wait(tcp::socket::wait_read, kTuple);
  if (wait_ec || watch->answered) co_return;  // the answer came first
  const int fd = socket.native_handle();
  char byte;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) co_return;  // a pipelined request: the client is there
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) cancel->Cancel();
    co_return;
  }
  // EOF: half-closed or gone.
  if (!may_probe) co_return;
  watch->timer.expires_after(kProbeDelay);
  co_await watch->timer.async_wait(kTuple);
  if (watch->answered) co_return;
  if (!watch->writing) {
    const ssize_t sent = ::send(fd, kInterimProbe.data(), kInterimProbe.size(),
                                MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent != static_cast<ssize_t>(kInterimProbe.size())) {
      cancel->Cancel();  // gone already, or a partial probe spoiled the stream
      co_return;
    }
  }
  std::chrono::milliseconds delay = kFirstResetPoll;
  while (true) {
    watch->timer.expires_after(delay);
    co_await watch->timer.async_wait(kTuple);
    if (watch->answered) co_return;
    if (PeerReset(fd)) {
      cancel->Cancel();
      co_return;
    }
    delay = std::min(delay * 2, kLastResetPoll);
  }
}

// The TCP layer under a stream (itself for plain HTTP): timeouts and the
// socket live there.
template <class Stream>
beast::tcp_stream& Tcp(Stream& stream) {
  return beast::get_lowest_layer(stream);
}
template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

// The first byte of a TLS connection: a handshake record (RFC 8446 5.1).
constexpr unsigned char kTlsHandshakeRecord = 0x16;
// What a plain-HTTP client that reached the HTTPS port may still send after
// its refusal, read and dropped.
constexpr size_t kMaxDrainBytes = 1 << 20;

std::string_view Std(beast::string_view text) { return {text.data(), text.size()}; }

bool HasHeader(const HttpResponse& response, std::string_view name) {
  return std::any_of(response.headers.begin(), response.headers.end(),
                     [name](const auto& header) {
                       return absl::EqualsIgnoreCase(header.first, ToAbsl(name));
                     });
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(Options options, const RouteTable* routes)
      : options_(std::move(options)),
        routes_(routes),
        io_(std::max(1, options_.io_threads)),
        acceptor_(io_) {}

  // Loads the certificate and key when HTTPS is asked for.
  absl::Status LoadTls() {
    if (!options_.tls.enabled()) return absl::OkStatus();
    absl::StatusOr<std::unique_ptr<asio::ssl::context>> context =
        MakeServerTlsContext(options_.tls);
    if (!context.ok()) return context.status();
    tls_ = *std::move(context);
    return absl::OkStatus();
  }

  bool tls() const { return tls_ != nullptr; }

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
      if (tls_) {
        asio::co_spawn(executor, TlsSession(std::move(socket)), asio::detached);
      } else {
        asio::co_spawn(executor, Session(std::move(socket)), asio::detached);
      }
    }
  }

  // A plain HTTP connection.
  asio::awaitable<void> Session(tcp::socket socket) {
    ++open_connections_;
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    co_await Serve(stream, buffer);
    boost::system::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
    --open_connections_;
  }

  // An HTTPS connection: the TLS handshake, then the same requests as plain
  // HTTP. A client that speaks plain HTTP to this port gets a 400 saying
  // so (in plain HTTP), not a handshake failure it cannot read.
  asio::awaitable<void> TlsSession(tcp::socket socket) {
    ++open_connections_;
    beast::flat_buffer buffer;
    TlsStream stream(beast::tcp_stream(std::move(socket)), *tls_);
    beast::tcp_stream& tcp = Tcp(stream);
    tcp.expires_after(ToChrono(options_.read_timeout));
    auto [first_ec, first_bytes] = co_await tcp.async_read_some(buffer.prepare(4096), kTuple);
    if (!first_ec) {
      buffer.commit(first_bytes);
      const auto* first = static_cast<const unsigned char*>(buffer.data().data());
      if (first[0] != kTlsHandshakeRecord) {
        AccessRecord record;
        record.method = record.path = "-";
        record.request_id = RequestIdFor(std::nullopt);
        record.started = absl::Now();
        co_await WriteError(tcp, 400,
                            StrCat("this port serves HTTPS only: use https://, not http://"),
                            record);
        // Read what else the client sent (a body) before closing: closing
        // with unread bytes resets the connection, and the client could
        // lose the answer. Bounded in bytes and time.
        boost::system::error_code shut_ec;
        tcp.socket().shutdown(tcp::socket::shutdown_send, shut_ec);
        tcp.expires_after(std::chrono::seconds(1));
        for (size_t drained = 0; drained < kMaxDrainBytes;) {
          buffer.consume(buffer.size());
          auto [drain_ec, n] = co_await tcp.async_read_some(buffer.prepare(4096), kTuple);
          if (drain_ec) break;
          buffer.commit(n);
          drained += n;
        }
      } else {
        auto [handshake_ec, used] =
            co_await stream.async_handshake(asio::ssl::stream_base::server, buffer.data(), kTuple);
        buffer.consume(buffer.size());
        if (handshake_ec) {
          boost::system::error_code peer_ec;
          const tcp::endpoint peer = tcp.socket().remote_endpoint(peer_ec);
          spdlog::debug("TLS handshake with {} failed: {}",
                        peer_ec ? std::string("?") : peer.address().to_string(),
                        handshake_ec.message());
        } else {
          const bool clean = co_await Serve(stream, buffer);
          if (clean) {
            // close_notify, so the client knows the answer was complete.
            tcp.expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(kTuple);
          }
        }
      }
    }
    boost::system::error_code ec;
    tcp.socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp.socket().close(ec);
    --open_connections_;
  }

  // Reads requests off one connection until it closes. Returns whether the
  // connection is still sound (it ended by the server's choice: keep-alive
  // off, idle, draining), so a TLS session may close it politely.
  template <class Stream>
  asio::awaitable<bool> Serve(Stream& stream, beast::flat_buffer& buffer) {
    // The peer of a connection does not change: one getpeername() per
    // connection, not per keep-alive request.
    std::string peer_address;
    {
      boost::system::error_code peer_ec;
      const tcp::endpoint peer = Tcp(stream).socket().remote_endpoint(peer_ec);
      if (!peer_ec) peer_address = peer.address().to_string();
    }
    while (!draining_) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(options_.max_body_bytes);
      parser.header_limit(64 * 1024);

      // An idle keep-alive connection may wait idle_timeout for its next
      // request; once the first byte arrives, the whole header must follow
      // within read_timeout (a client that stalls mid-header is dropped).
      if (buffer.size() == 0) {
        Tcp(stream).expires_after(ToChrono(options_.idle_timeout));
        auto [first_ec, first_bytes] =
            co_await stream.async_read_some(buffer.prepare(4096), kTuple);
        if (first_ec) co_return first_ec == beast::error::timeout;
        buffer.commit(first_bytes);
      }
      const absl::Time started = absl::Now();
      Tcp(stream).expires_after(ToChrono(options_.read_timeout));
      auto [header_ec, header_bytes] =
          co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
      if (header_ec == bhttp::error::body_limit) {
        AccessRecord record = RecordFor(parser.get(), started);
        co_await WriteError(stream, 413, "request body is larger than --max-body-bytes",
                            record);
        co_return true;
      }
      if (header_ec) {
        if (header_ec != bhttp::error::end_of_stream &&
            header_ec != beast::error::timeout &&
            header_ec != asio::error::operation_aborted &&
            header_ec != asio::error::connection_reset && buffer.size() > 0) {
          AccessRecord record;
          record.method = record.path = "-";
          record.request_id = RequestIdFor(std::nullopt);
          record.started = started;
          co_await WriteError(stream, 400,
                              StrCat("malformed HTTP request: ", header_ec.message()), record);
        }
        co_return false;
      }
      ++active_requests_;
      const bool keep_going = co_await HandleOne(stream, buffer, parser, started, peer_address);
      --active_requests_;
      if (!keep_going) co_return true;
    }
    co_return true;
  }

  // The access record of a request whose header has arrived: its method,
  // its path (the target without the query, until the target is parsed)
  // and its request id.
  static AccessRecord RecordFor(const bhttp::request<bhttp::string_body>& header,
                                absl::Time started) {
    AccessRecord record;
    record.method = std::string(Std(header.method_string()).substr(0, 64));
    const std::string_view target = Std(header.target());
    record.path = std::string(target.substr(0, target.find('?')));
    auto client_id = header.find("x-request-id");
    record.request_id = RequestIdFor(
        client_id == header.end() ? std::nullopt
                                  : std::optional<std::string_view>(Std(client_id->value())));
    record.started = started;
    return record;
  }

  // Reads the body, dispatches, writes the response. Returns whether the
  // connection may carry another request.
  template <class Stream>
  asio::awaitable<bool> HandleOne(Stream& stream, beast::flat_buffer& buffer,
                                  bhttp::request_parser<bhttp::string_body>& parser,
                                  absl::Time started, const std::string& peer_address) {
    auto& header = parser.get();
    AccessRecord record = RecordFor(header, started);
    if (absl::EqualsIgnoreCase(std::string(header[bhttp::field::expect]), "100-continue")) {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
      Tcp(stream).expires_after(ToChrono(options_.read_timeout));
      auto [ec, n] = co_await bhttp::async_write(stream, go_on, kTuple);
      if (ec) co_return false;
    }
    if (!parser.is_done()) {
      Tcp(stream).expires_after(ToChrono(options_.read_timeout));
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      if (ec == bhttp::error::body_limit) {
        co_await WriteError(stream, 413, "request body is larger than --max-body-bytes",
                            record);
        co_return false;
      }
      if (ec) {
        if (ec == beast::error::timeout) {
          spdlog::debug("closing a connection that sent an incomplete request");
        } else if (ec != bhttp::error::end_of_stream &&
                   ec != asio::error::connection_reset) {
          co_await WriteError(stream, 400,
                              StrCat("malformed HTTP request: ", ec.message()), record);
        }
        co_return false;
      }
    }
    Tcp(stream).expires_never();

    bhttp::request<bhttp::string_body> message = parser.release();
    HttpRequest request;
    request.method = std::string(message.method_string());
    absl::StatusOr<RequestTarget> target = ParseRequestTarget(Std(message.target()));
    if (!target.ok()) {
      co_await WriteError(stream, 400, std::string(target.status().message()), record);
      co_return false;
    }
    request.path = std::move(target->path);
    request.query = std::move(target->query);
    record.path = request.path;
    for (const auto& field : message) {
      std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
      if (name == "x-request-id") continue;  // replaced by the id in use
      request.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    request.headers.emplace_back("x-request-id", record.request_id);
    request.remote_address = peer_address;
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();
    // Compressed bodies are inflated here, once, for every route; the
    // inflated size is bounded like a plain body's.
    if (std::optional<std::string_view> encoding = request.header("content-encoding")) {
      absl::StatusOr<ContentCoding> coding = ParseContentEncoding(*encoding);
      absl::StatusOr<std::string> decoded =
          coding.ok() ? DecodeBody(*coding, std::move(request.body), options_.max_body_bytes)
                      : absl::StatusOr<std::string>(coding.status());
      if (!decoded.ok()) {
        const int status = absl::IsUnimplemented(decoded.status())  ? 415
                           : absl::IsOutOfRange(decoded.status()) ? 413
                                                                   : 400;
        co_await WriteError(stream, status, std::string(decoded.status().message()), record);
        co_return false;
      }
      request.body = *std::move(decoded);
    }
    std::optional<ContentCoding> answer_coding;
    if (std::optional<std::string_view> accept = request.header("accept-encoding")) {
      answer_coding = ChooseResponseCoding(*accept);
    }

    // Watch for the client going away while the handler works, so queued
    // work for a vanished client can be dropped.
    std::shared_ptr<CancelSignal> cancel = request.cancel;
    auto& socket = Tcp(stream).socket();
    auto watch = std::make_shared<ClientWatch>(socket.get_executor());
    asio::co_spawn(socket.get_executor(),
                   WatchClient(socket, watch, cancel, version >= 11 && !kIsTls<Stream>),
                   asio::detached);
    auto stop_watching = [&socket, watch] {
      watch->answered = true;
      watch->timer.cancel();
      boost::system::error_code ec;
      socket.cancel(ec);
    };

    const std::string_view method = MethodLabel(request.method);
    std::string route = "unmatched";
    std::string origin;
    if (options_.cors.enabled()) origin = std::string(request.header("origin").value_or(""));
    // A CORS preflight is answered here: before routing, and without the
    // credentials the route would ask for (browsers send none with it).
    HttpResponse response;
    if (options_.cors.IsPreflight(request)) {
      response = options_.cors.Preflight(request);
    } else {
      response = co_await Dispatch(std::move(request), &route);
    }
    // One place for every route: no JSON body leaves invalid UTF-8, however
    // a handler quoted what the client sent.
    if (IsJsonText(response.content_type)) RepairUtf8(response.body);
    options_.cors.Decorate(origin, response);
    if (!HasHeader(response, "x-request-id")) {
      response.headers.emplace_back("X-Request-Id", record.request_id);
    }
    record.status = response.status;
    if (response.status >= 500) record.error = ErrorCauseOf(response);
    if (response.stream && !cancel->cancelled()) {
      // The watcher keeps running while the stream is written: a client
      // that leaves ends the stream.
      std::shared_ptr<ResponseStream> body = response.stream;
      cancel->OnCancel([body] { body->Close(); });
      watch->writing = true;
      const bool ok = co_await WriteStream(stream, std::move(response), version, &record.bytes);
      stop_watching();
      body->Close();  // lets the producer release what it holds
      CountRequest(route, method, record.status);
      LogAccess(record, options_.access_log, absl::Now());
      co_return ok && keep_alive && !draining_;
    }
    if (response.stream) response.stream->Close();  // its client is gone
    stop_watching();
    CountRequest(route, method, response.status);
    if (cancel->cancelled()) {
      LogAccess(record, options_.access_log, absl::Now());
      co_return false;
    }

    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status),
                                            version};
    out.set(bhttp::field::server, "inferd");
    if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    if (answer_coding && !response.body.empty() && !HasHeader(response, "content-encoding")) {
      out.body() = EncodeBody(*answer_coding, response.body);
      out.set(bhttp::field::content_encoding, std::string(ContentCodingName(*answer_coding)));
      out.set(bhttp::field::vary, "Accept-Encoding");
    } else {
      out.body() = std::move(response.body);
    }
    out.keep_alive(keep_alive && !draining_);
    out.prepare_payload();
    Tcp(stream).expires_after(ToChrono(options_.read_timeout));
    auto [ec, n] = co_await bhttp::async_write(stream, out, kTuple);
    if (!ec) record.bytes = out.body().size();
    LogAccess(record, options_.access_log, absl::Now());
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
    RequestObserver* observer = options_.observer;
    if (observer) observer->Started(match.pattern);
    HttpResponse response =
        co_await asio::async_initiate<decltype(use_awaitable), void(HttpResponse)>(
        [handler, &request](auto completion) {
          // Answered once: by the handler, or here when it throws first.
          struct Completion {
            decltype(completion) complete;
            std::atomic<bool> answered{false};
          };
          auto shared = std::make_shared<Completion>(std::move(completion));
          Responder respond = [shared](HttpResponse response) {
            if (shared->answered.exchange(true)) return;
            auto executor = asio::get_associated_executor(shared->complete);
            asio::post(executor, [shared, response = std::move(response)]() mutable {
              shared->complete(std::move(response));
            });
          };
          // The adapter where a handler that throws (a bug, an allocation
          // failure) becomes a 500 for its request instead of escaping the
          // coroutine: the connection answers and the counters stay right.
          std::string what;
          try {
            (*handler)(std::move(request), respond);
            return;
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
            what = "an exception of unknown type";
          }
          spdlog::error("a route handler threw: {}", what);
          respond(JsonError(500, StrCat("internal error: the handler failed: ", what)));
        },
        use_awaitable);
    if (observer) observer->Ended(match.pattern);
    co_return response;
  }

  // Counts an answered request. Every label is bounded by what the server
  // knows: `route` is a registered pattern or "unmatched", `method` one of
  // HTTP's methods or "other", `status` a status code.
  void CountRequest(const std::string& route, std::string_view method, int status) {
    if (options_.observer) options_.observer->Answered(route, method, status);
  }

  // Writes a streamed response: headers at once, then each chunk as the
  // stream produces it (chunked encoding), then the last chunk. Adds the
  // body bytes written to *bytes. Returns whether every write succeeded and
  // the stream ended normally.
  template <class Stream>
  asio::awaitable<bool> WriteStream(Stream& stream, HttpResponse response,
                                    unsigned version, size_t* bytes) {
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status),
                                            version};
    head.set(bhttp::field::server, "inferd");
    head.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) head.set(name, value);
    head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> serializer{head};
    Tcp(stream).expires_after(ToChrono(options_.read_timeout));
    auto [head_ec, head_n] = co_await bhttp::async_write_header(stream, serializer, kTuple);
    if (head_ec) co_return false;
    ResponseStream* body = response.stream.get();
    const bool json_text = IsJsonText(response.content_type);
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
      Tcp(stream).expires_after(ToChrono(options_.read_timeout));
      if (!chunk) {
        auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), kTuple);
        co_return !ec;
      }
      // Each chunk is whole events or lines, so it is repaired on its own.
      if (json_text) RepairUtf8(*chunk);
      auto [ec, n] =
          co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(*chunk)), kTuple);
      if (ec) co_return false;
      *bytes += chunk->size();
    }
  }

  // Answers a request that cannot be dispatched (malformed, too large) with
  // a JSON error and Connection: close, and logs it.
  template <class Stream>
  asio::awaitable<void> WriteError(Stream& stream, int status,
                                   std::string message, AccessRecord& record) {
    HttpResponse error = JsonError(status, message);
    RepairUtf8(error.body);
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status), 11};
    out.set(bhttp::field::server, "inferd");
    out.set(bhttp::field::content_type, error.content_type);
    out.set("X-Request-Id", record.request_id);
    out.body() = std::move(error.body);
    out.keep_alive(false);
    out.prepare_payload();
    Tcp(stream).expires_after(std::chrono::seconds(5));
    auto [ec, n] = co_await bhttp::async_write(stream, out, kTuple);
    record.status = status;
    if (!ec) record.bytes = out.body().size();
    if (status >= 500) record.error = std::move(message);
    LogAccess(record, options_.access_log, absl::Now());
  }

  const Options options_;
  const RouteTable* routes_;
  std::unique_ptr<asio::ssl::context> tls_;  // set: every connection is HTTPS
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
  absl::Status status = impl->LoadTls();
  if (status.ok()) status = impl->Listen();
  if (!status.ok()) return status;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { impl_->Shutdown(absl::ZeroDuration()); }
int HttpServer::port() const { return impl_->port(); }
bool HttpServer::tls() const { return impl_->tls(); }
void HttpServer::Start() { impl_->Start(); }
void HttpServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }
int HttpServer::active_requests() const { return impl_->active_requests(); }
int HttpServer::open_connections() const { return impl_->open_connections(); }

}  // namespace inferd
