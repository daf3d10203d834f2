#pragma once

// One unary gRPC call in flight: the reactor the callback API wants back
// from each RPC method, plus what the call holds while it runs (its rate
// limit permit, its cancel signal) and its count in the gRPC metrics.
//
// Finish the call exactly once with Done(), from any thread; the reactor
// deletes itself when gRPC is done with it (OnDone). A client that cancels,
// or whose deadline passes, fires cancel(), which drops a queued inference.
// Thread-safe as the callback API requires: Done() may race OnCancel().

#include <memory>
#include <string>
#include <string_view>

#include "common/cancel_signal.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"
#include "metrics/metrics_registry.h"

namespace inferd::grpc_api {

// inferd_grpc_requests_total{rpc,code} and inferd_grpc_requests_in_flight{rpc}.
class GrpcMetrics {
 public:
  explicit GrpcMetrics(MetricsRegistry* registry);
  void Started(std::string_view rpc) const;
  void Finished(std::string_view rpc, grpc::StatusCode code) const;
  void Ended(std::string_view rpc) const;

 private:
  Family<Counter>* requests_;
  Family<Gauge>* in_flight_;
};

// The name of a gRPC status code: "OK", "INVALID_ARGUMENT", ...
std::string_view StatusCodeName(grpc::StatusCode code);

class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  // `metrics` may be null; not owned.
  UnaryCall(const GrpcMetrics* metrics, std::string_view rpc);

  void Done(const grpc::Status& status);

  const std::shared_ptr<CancelSignal>& cancel() const { return cancel_; }
  // Released when the call ends.
  void Hold(std::shared_ptr<void> permit) { permit_ = std::move(permit); }

  void OnCancel() override { cancel_->Cancel(); }
  void OnDone() override;

 private:
  const GrpcMetrics* metrics_;
  const std::string_view rpc_;  // a literal
  std::shared_ptr<CancelSignal> cancel_ = std::make_shared<CancelSignal>();
  std::shared_ptr<void> permit_;
};

}  // namespace inferd::grpc_api
