#pragma once

// A minimal HTTP/1.1 server on 127.0.0.1 for testing the load generator
// without a model server: it answers every request with the status that
// `Options::status_for` picks from the request's sequence number, and can
// close connections after a response to exercise reconnects. With
// `stream_for`, a 2xx answer is a chunked text/event-stream body written in
// the pieces given, like a streaming completion server.
//
// Thread-safe: the server runs on its own thread; counters may be read from
// any thread. Stops and joins in the destructor.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/tcp_stream.hpp"

namespace inferd::bench::testing {

class FakeHttpServer {
 public:
  struct Options {
    // Status for the n-th request (0-based, in arrival order). Default: 200.
    std::function<int(int64_t)> status_for;
    // Close the connection after every this-many responses on it (0: never).
    int close_every = 0;
    // When set: the body pieces of the n-th request's 2xx answer, each sent
    // as one HTTP chunk and flushed on its own.
    std::function<std::vector<std::string>(int64_t)> stream_for;
  };

  explicit FakeHttpServer(Options options);
  ~FakeHttpServer();

  uint16_t port() const { return port_; }
  int64_t requests() const { return requests_.load(); }
  int64_t connections() const { return connections_.load(); }
  // Responses sent, by status.
  std::map<int, int64_t> responses() const;
  // Request bodies received, in arrival order.
  std::vector<std::string> bodies() const;

 private:
  void Accept();
  void Serve(boost::asio::ip::tcp::socket socket);
  // Writes a chunked event-stream answer; false when the client is gone.
  boost::asio::awaitable<bool> Stream(boost::beast::tcp_stream& stream,
                                      std::vector<std::string> pieces);

  Options options_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<int64_t> requests_{0};
  std::atomic<int64_t> connections_{0};
  mutable absl::Mutex mu_;
  std::map<int, int64_t> responses_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> bodies_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// A loopback port with nothing listening on it (bound, then released).
uint16_t UnusedPort();

}  // namespace inferd::bench::testing
