#pragma once

// One keep-alive HTTP/1.1 connection that a load worker sends its requests
// over, one at a time (no pipelining). Connects on first use, reconnects
// after the server closes, and retries a request once when a reused
// connection turns out to have been closed while idle (the keep-alive race
// every HTTP client handles), so a server's idle timeout does not show up
// as errors.
//
// PostStream() hands a response body to a callback piece by piece as it
// arrives, with the time it arrived, for streamed (SSE) answers.
//
// Failures come back as a RoundTripResult, never as exceptions.
// Not thread-safe: one coroutine owns a client; with several I/O threads,
// its operations still run one after another.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "tools/bench/level_stats.h"

namespace inferd::bench {

struct RoundTripResult {
  int status = 0;  // the HTTP status; 0 when there was no response
  // When status == 0, or (PostStream) when the body was cut off.
  TransportError error = TransportError::kOther;
  bool body_cut_off = false;  // PostStream: the status came, the body broke
  std::string detail;         // the socket error's message, when one happened
  std::string body;           // the response body, when asked for
};

class HttpLoadClient {
 public:
  struct Options {
    std::string host_header;  // "HOST:PORT"
    // Sent with every request, e.g. {"Authorization", "Bearer KEY"}.
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(30);
    uint64_t max_response_bytes = 64ull << 20;
  };

  HttpLoadClient(boost::asio::any_io_executor executor,
                 std::vector<boost::asio::ip::tcp::endpoint> endpoints,
                 Options options);

  // Sends POST `target` with `body` and waits for the whole response. The
  // response body is kept in the result only with `keep_body`.
  boost::asio::awaitable<RoundTripResult> Post(std::string_view target,
                                               std::string_view content_type,
                                               std::string_view body,
                                               bool keep_body = false);

  // Sends GET `target`; keeps the response body.
  boost::asio::awaitable<RoundTripResult> Get(std::string_view target);

  // Called with each piece of a 2xx response body as it comes off the
  // socket, with the time the read that brought it returned.
  using BodyPieceCallback = std::function<void(
      std::string_view piece, std::chrono::steady_clock::time_point arrived)>;

  // Sends POST `target` and streams a 2xx response's body to `on_piece`
  // (chunked, sized or ending with the connection alike); a non-2xx body is
  // kept in the result instead. Here `timeout` bounds each step (connect,
  // write, every read), not the whole request: a stream may run as long as
  // the server keeps sending. A stale keep-alive connection is retried once,
  // like Post(). When the connection breaks mid-body, the result has both
  // the status and the transport error.
  boost::asio::awaitable<RoundTripResult> PostStream(
      std::string_view target, std::string_view content_type,
      std::string_view body, const BodyPieceCallback& on_piece);

  // Connections re-opened because the server had closed a reused one.
  int64_t reconnects() const { return reconnects_; }

 private:
  boost::asio::awaitable<RoundTripResult> RoundTrip(
      bool post, std::string_view target, std::string_view content_type,
      std::string_view body, bool keep_body);
  // Connects when not connected and writes the request; a non-empty error
  // on failure (the connection is then closed).
  boost::asio::awaitable<boost::system::error_code> Send(
      bool post, std::string_view target, std::string_view content_type,
      std::string_view body);
  void Close();

  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
  Options options_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
  int64_t reconnects_ = 0;
};

// Resolves HOST and PORT to endpoints; an error names the host.
absl::StatusOr<std::vector<boost::asio::ip::tcp::endpoint>> ResolveEndpoints(
    const std::string& host, uint16_t port);

// One blocking request on a fresh connection, for set-up (metadata,
// pre-flight): POST when `body` is given, GET otherwise.
RoundTripResult FetchOnce(
    const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
    const HttpLoadClient::Options& options, const std::string& target,
    const std::string* content_type = nullptr,
    const std::string* body = nullptr);

}  // namespace inferd::bench
