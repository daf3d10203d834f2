#include "grpc/grpc_server.h"

#include <chrono>

#include "common/strings.h"
#include "grpc/grpc_inference_service.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace inferd::grpc_api {

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Create(const Options& options,
                                                               GrpcInferenceService* service) {
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError("--grpc-port must be 1..65535 (0 turns gRPC off)");
  }
  // An IPv6 literal needs brackets before the port.
  const std::string address =
      options.host.find(':') != std::string::npos
          ? StrCat("[", options.host, "]:", options.port)
          : StrCat(options.host, ":", options.port);
  grpc::ServerBuilder builder;
  int bound_port = 0;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &bound_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(options.max_message_bytes, std::numeric_limits<int>::max())));
  builder.SetMaxSendMessageSize(-1);
  builder.RegisterService(service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound_port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(StrCat("gRPC cannot listen on ", address,
                                         ": the port is in use or the address is not "
                                         "this machine's (--grpc-port 0 turns gRPC off)"));
  }
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), bound_port));
}

GrpcServer::~GrpcServer() { Shutdown(absl::ZeroDuration()); }

void GrpcServer::Shutdown(absl::Duration grace) {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(grace));
  server_->Wait();
  server_.reset();
}

}  // namespace inferd::grpc_api
