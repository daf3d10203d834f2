#include "grpc/grpc_stream_infer.h"

#include <utility>

#include "grpc/grpc_infer_runner.h"

namespace inferd::grpc_api {
namespace {

constexpr std::string_view kRpc = "ModelStreamInfer";

}  // namespace

StreamInferCall::StreamInferCall(const ApiContext* context, const GrpcMetrics* metrics,
                                 grpc::Status admitted, std::shared_ptr<void> permit)
    : context_(context), metrics_(metrics), permit_(std::move(permit)) {
  if (metrics_ != nullptr) metrics_->Started(kRpc);
  if (!admitted.ok()) {
    finished_ = true;
    if (metrics_ != nullptr) metrics_->Finished(kRpc, admitted.error_code());
    Finish(admitted);
    return;
  }
  reading_ = true;
  StartRead(&request_);
}

void StreamInferCall::OnReadDone(bool ok) {
  if (!ok) {
    std::optional<grpc::Status> finish;
    {
      std::lock_guard<std::mutex> lock(mu_);
      reading_ = false;
      reads_done_ = true;
      finish = FinishLocked();
    }
    if (finish) Finish(*finish);
    return;
  }
  auto request = std::make_shared<inference::ModelInferRequest>(std::move(request_));
  request_.Clear();
  bool read_more;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++running_;
    read_more = running_ < kMaxInFlight;
    reading_ = read_more;
  }
  if (read_more) StartRead(&request_);

  // Each request has its own cancel signal (a stream may carry millions of
  // requests; one signal would collect an action for each).
  auto cancel = std::make_shared<CancelSignal>();
  bool cancelled;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled = stream_cancelled_;
    if (!cancelled) live_.insert(cancel);
  }
  if (cancelled) cancel->Cancel();
  auto answer = std::make_shared<std::unique_ptr<inference::ModelStreamInferResponse>>(
      std::make_unique<inference::ModelStreamInferResponse>());
  inference::ModelInferResponse* response = (*answer)->mutable_infer_response();
  RunGrpcInfer(*context_, *request, cancel, response,
               [this, request, answer, cancel](const absl::Status& status) {
                 {
                   std::lock_guard<std::mutex> lock(mu_);
                   live_.erase(cancel);
                 }
                 if (!status.ok()) {
                   // Triton's clients match a failed request by its id.
                   (*answer)->mutable_infer_response()->set_id(request->id());
                   (*answer)->mutable_infer_response()->set_model_name(request->model_name());
                   (*answer)->set_error_message(std::string(status.message()));
                 }
                 Answer(std::move(*answer));
               });
}

void StreamInferCall::Answer(std::unique_ptr<inference::ModelStreamInferResponse> answer) {
  const inference::ModelStreamInferResponse* write = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    to_write_.push_back(std::move(answer));
    if (!writing_) {
      writing_ = true;
      write = to_write_.front().get();
    }
  }
  if (write != nullptr) StartWrite(write);
}

void StreamInferCall::OnWriteDone(bool ok) {
  const inference::ModelStreamInferResponse* write = nullptr;
  bool read_more = false;
  std::optional<grpc::Status> finish;
  {
    std::lock_guard<std::mutex> lock(mu_);
    to_write_.pop_front();
    --running_;
    if (!to_write_.empty()) {
      write = to_write_.front().get();
    } else {
      writing_ = false;
    }
    // A read paused for flow control resumes once a request is answered.
    if (ok && !reads_done_ && !reading_ && running_ < kMaxInFlight) {
      reading_ = true;
      read_more = true;
    }
    // A broken stream (the client went away) reads nothing more; a read
    // still outstanding ends on its own.
    if (!ok && !reading_) reads_done_ = true;
    finish = FinishLocked();
  }
  // The remaining answers of a broken stream cannot be written: their
  // requests are cancelled.
  if (!ok) CancelAll();
  if (write != nullptr) StartWrite(write);
  if (read_more) StartRead(&request_);
  if (finish) Finish(*finish);
}

void StreamInferCall::CancelAll() {
  std::vector<std::shared_ptr<CancelSignal>> live;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stream_cancelled_ = true;
    live.assign(live_.begin(), live_.end());
  }
  for (const std::shared_ptr<CancelSignal>& cancel : live) cancel->Cancel();
}

std::optional<grpc::Status> StreamInferCall::FinishLocked() {
  if (finished_ || !reads_done_ || running_ > 0 || writing_) return std::nullopt;
  finished_ = true;
  const grpc::Status status = stream_cancelled_
                                  ? grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled")
                                  : grpc::Status::OK;
  if (metrics_ != nullptr) metrics_->Finished(kRpc, status.error_code());
  return status;
}

void StreamInferCall::OnDone() {
  if (metrics_ != nullptr) metrics_->Ended(kRpc);
  delete this;
}

}  // namespace inferd::grpc_api
