#pragma once

// One keep-alive HTTP/1.1 connection that a load worker sends its requests
// over, one at a time (no pipelining). Connects on first use, reconnects
// after the server closes, and retries a request once when a reused
// connection turns out to have been closed while idle (the keep-alive race
// every HTTP client handles), so a server's idle timeout does not show up
// as errors.
//
// Failures come back as a RoundTripResult, never as exceptions.
// Not thread-safe: one coroutine owns a client; with several I/O threads,
// its operations still run one after another.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
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
  TransportError error = TransportError::kOther;  // when status == 0
  std::string detail;  // the socket error's message, when status == 0
  std::string body;    // the response body, when asked for
};

class HttpLoadClient {
 public:
  struct Options {
    std::string host_header;  // "HOST:PORT"
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

  // Connections re-opened because the server had closed a reused one.
  int64_t reconnects() const { return reconnects_; }

 private:
  boost::asio::awaitable<RoundTripResult> RoundTrip(
      bool post, std::string_view target, std::string_view content_type,
      std::string_view body, bool keep_body);
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
