#pragma once

// The gRPC server: listens on one port (HTTP/2, plaintext) and serves the
// KServe v2 gRPC service (grpc_inference_service.h) with gRPC's callback API
// on gRPC's own threads.
//
// Create() binds the port or fails with a clear error; it never shares a
// port with another process (SO_REUSEPORT, which gRPC sets by default, is
// turned off, so a port in use is an error, as it is for HTTP).
// Shutdown() stops accepting calls, lets the calls in flight finish until
// the deadline and cancels the rest.
//
// Thread-safe: Shutdown() may be called from any thread, once.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"

namespace inferd::grpc_api {

class GrpcInferenceService;

class GrpcServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    int port = 8001;                        // 1..65535
    size_t max_message_bytes = 64ull << 20;  // larger requests: RESOURCE_EXHAUSTED
  };
  // `service` is not owned and must outlive the server.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Create(const Options& options,
                                                            GrpcInferenceService* service);
  ~GrpcServer();

  void Shutdown(absl::Duration grace);
  int port() const { return port_; }

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port)
      : server_(std::move(server)), port_(port) {}

  std::unique_ptr<grpc::Server> server_;
  const int port_;
};

}  // namespace inferd::grpc_api
