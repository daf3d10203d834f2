#pragma once

// ModelStreamInfer (Triton's streaming extension): one bidirectional stream
// that carries many inference requests. Each request runs as ModelInfer's
// do (grpc_infer_runner.h), concurrently with the others on the stream;
// each answer, or its error in error_message, is written as it finishes,
// so answers may come in another order than the requests (match them by
// id). The stream ends OK once the client has half-closed and every answer
// is written.
//
// At most kMaxInFlight requests of one stream run at once: past that the
// stream stops reading until one finishes (flow control reaches the
// client, whose writes then wait).
//
// Thread-safety: gRPC calls the reactor's methods from its threads, the
// inference completions come from executor threads; one mutex orders them.
// The reactor deletes itself in OnDone, which gRPC calls only after
// Finish() and every outstanding read and write: Finish() waits for the
// last request, so no completion outlives the reactor.

#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "api/api_context.h"
#include "common/cancel_signal.h"
#include "grpc/grpc_call.h"
#include "grpc/grpc_service.pb.h"
#include "grpcpp/support/server_callback.h"

namespace inferd::grpc_api {

class StreamInferCall final
    : public grpc::ServerBidiReactor<inference::ModelInferRequest,
                                     inference::ModelStreamInferResponse> {
 public:
  static constexpr int kMaxInFlight = 64;

  // `admitted`: the guard's answer; an error finishes the stream at once.
  // `permit` is held until the stream ends.
  StreamInferCall(const ApiContext* context, const GrpcMetrics* metrics, grpc::Status admitted,
                  std::shared_ptr<void> permit);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override { CancelAll(); }
  void OnDone() override;

 private:
  // Cancels every request of the stream still running, and any that starts.
  void CancelAll();
  // Queues `answer` for writing (starting the write when none is pending).
  void Answer(std::unique_ptr<inference::ModelStreamInferResponse> answer);
  // The status to finish the stream with, once reads are over and nothing
  // is left to run or write (nullopt before, and after it was returned once).
  // Finish() itself is called outside the lock: gRPC may run a reaction
  // inline.
  std::optional<grpc::Status> FinishLocked();

  const ApiContext* context_;
  const GrpcMetrics* metrics_;
  std::shared_ptr<void> permit_;
  inference::ModelInferRequest request_;  // the read in progress

  std::mutex mu_;
  std::deque<std::unique_ptr<inference::ModelStreamInferResponse>> to_write_;  // front: writing
  bool writing_ = false;
  bool reading_ = false;     // a read is outstanding
  bool reads_done_ = false;  // the client half-closed (or the stream broke)
  bool finished_ = false;
  int running_ = 0;          // requests not yet answered
  bool stream_cancelled_ = false;
  std::set<std::shared_ptr<CancelSignal>> live_;  // of the requests running
};

}  // namespace inferd::grpc_api
