#include "tools/bench/level_stats.h"

#include <utility>

namespace inferd::bench {

std::string_view TransportErrorName(TransportError error) {
  switch (error) {
    case TransportError::kConnect:
      return "connect";
    case TransportError::kTimeout:
      return "timeout";
    case TransportError::kClosed:
      return "closed";
    case TransportError::kTooLarge:
      return "too_large";
    case TransportError::kOther:
      return "other";
  }
  return "other";
}

void LevelStats::RecordSuccess(int64_t latency_micros) {
  absl::MutexLock lock(&mu_);
  ++totals_.succeeded;
  totals_.latency.Record(latency_micros);
}

void LevelStats::RecordHttpError(int status) {
  absl::MutexLock lock(&mu_);
  ++totals_.failed;
  ++totals_.http_errors[status];
}

void LevelStats::RecordTransportError(TransportError error) {
  absl::MutexLock lock(&mu_);
  ++totals_.failed;
  ++totals_.transport_errors[std::string(TransportErrorName(error))];
}

void LevelStats::RecordWarmup() {
  absl::MutexLock lock(&mu_);
  ++totals_.warmup_requests;
}

void LevelStats::RecordReconnects(int64_t count) {
  absl::MutexLock lock(&mu_);
  totals_.reconnects += count;
}

LevelStats::Snapshot LevelStats::Peek() const {
  absl::MutexLock lock(&mu_);
  Snapshot s;
  s.succeeded = totals_.succeeded;
  s.failed = totals_.failed;
  s.warmup_requests = totals_.warmup_requests;
  s.p50_micros = totals_.latency.ValueAtPercentile(50);
  s.p99_micros = totals_.latency.ValueAtPercentile(99);
  return s;
}

void LevelStats::MoveInto(LevelResult* result) {
  absl::MutexLock lock(&mu_);
  result->succeeded = totals_.succeeded;
  result->failed = totals_.failed;
  result->http_errors = std::move(totals_.http_errors);
  result->transport_errors = std::move(totals_.transport_errors);
  result->warmup_requests = totals_.warmup_requests;
  result->reconnects = totals_.reconnects;
  result->latency = std::move(totals_.latency);
  totals_ = LevelResult();
}

}  // namespace inferd::bench
