#include "grpc/grpc_call.h"

namespace inferd::grpc_api {

GrpcMetrics::GrpcMetrics(MetricsRegistry* registry)
    : requests_(registry->AddCounter("inferd_grpc_requests_total",
                                     "Answered gRPC calls, by RPC and status code.",
                                     {"rpc", "code"})),
      in_flight_(registry->AddGauge("inferd_grpc_requests_in_flight",
                                    "gRPC calls being handled now, by RPC.", {"rpc"})) {}

void GrpcMetrics::Started(std::string_view rpc) const {
  in_flight_->WithLabels({std::string(rpc)})->Add(1);
}

void GrpcMetrics::Finished(std::string_view rpc, grpc::StatusCode code) const {
  requests_->WithLabels({std::string(rpc), std::string(StatusCodeName(code))})->Increment();
}

void GrpcMetrics::Ended(std::string_view rpc) const {
  in_flight_->WithLabels({std::string(rpc)})->Add(-1);
}

std::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "INTERNAL";
  }
}

UnaryCall::UnaryCall(const GrpcMetrics* metrics, std::string_view rpc)
    : metrics_(metrics), rpc_(rpc) {
  if (metrics_ != nullptr) metrics_->Started(rpc_);
}

void UnaryCall::Done(const grpc::Status& status) {
  if (metrics_ != nullptr) metrics_->Finished(rpc_, status.error_code());
  Finish(status);
}

void UnaryCall::OnDone() {
  if (metrics_ != nullptr) metrics_->Ended(rpc_);
  delete this;
}

}  // namespace inferd::grpc_api
