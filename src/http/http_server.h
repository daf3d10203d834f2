#pragma once

// The HTTP/1.1 server: accepts connections, reads requests with limits and
// timeouts, dispatches them through the RouteTable and writes responses.
// Built on Boost.Beast with C++20 coroutines; no Beast type leaks out.
// With Options::tls the port serves HTTPS (OpenSSL; see http/tls_context.h)
// and the same requests as plain HTTP, keep-alive and streams included; a
// plain-HTTP request there gets a 400 saying so, and the connection closes.
//
// Limits: bodies above max_body_bytes get 413; a request that is not fully
// received within read_timeout closes the connection; an idle keep-alive
// connection closes after idle_timeout. Handlers answer through a Responder
// from any thread, so I/O threads never wait on inference.
//
// Routing uses the path of the request target, origin form or absolute
// form, still percent-encoded (see RouteTable). Every request carries an id
// (the client's X-Request-Id, or a new one) that handlers see as the
// x-request-id header and the response returns as X-Request-Id; every
// answer is logged through the access log (http/access_log.h).
// A client that half-closes its side after a complete request still gets
// its answer; a client that goes away has its request cancelled.
// Thread-safe: Shutdown() may be called from any thread except an I/O thread.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/cors.h"
#include "http/route_table.h"
#include "http/request_observer.h"
#include "http/tls_options.h"

namespace inferd {

class HttpServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    int port = 8000;                            // 0 picks a free port
    int io_threads = 2;
    size_t max_body_bytes = 64 << 20;
    absl::Duration read_timeout = absl::Seconds(30);
    absl::Duration idle_timeout = absl::Seconds(75);
    RequestObserver* observer = nullptr;  // not owned; optional (metrics)
    bool access_log = true;  // a line per request at info; 5xx are logged regardless
    CorsPolicy cors;         // off by default (http/cors.h)
    // HTTPS on `port` (every connection; plain HTTP there gets a 400 that
    // says so). Off by default (http/tls_options.h).
    TlsOptions tls;
  };

  // Loads the TLS certificate and key (when asked), binds and listens;
  // serving starts with Start(). InvalidArgument naming the file when the
  // TLS files are unusable. `routes` is not owned and must outlive the server.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Create(
      Options options, const RouteTable* routes);
  ~HttpServer();

  int port() const;
  bool tls() const;  // whether the port serves HTTPS
  void Start();

  // Stops accepting (new connections are refused), lets requests being
  // handled finish for up to `grace`, then closes every connection and joins
  // the I/O threads. Idempotent.
  void Shutdown(absl::Duration grace);

  int active_requests() const;
  int open_connections() const;

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace inferd
