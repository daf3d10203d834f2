#pragma once

// The outcome of one load level (one concurrency or one request rate), and
// the collector its workers record into.
//
// LevelResult is a plain value. LevelStats is thread-safe: workers on any
// I/O thread record into it while the progress line peeks at it.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tools/bench/latency_histogram.h"

namespace inferd::bench {

// Why a request got no HTTP response.
enum class TransportError {
  kConnect,   // could not connect (refused, unreachable)
  kTimeout,   // no complete response within --timeout
  kClosed,    // the server closed or reset the connection mid-request
  kTooLarge,  // the response was larger than the client accepts
  kOther,     // any other socket or protocol error
};

// "connect", "timeout", "closed", "too_large", "other".
std::string_view TransportErrorName(TransportError error);

struct LevelResult {
  // What ran: exactly one of these two is set.
  int concurrency = 0;      // closed loop: requests in flight at all times
  double request_rate = 0;  // open loop: requests scheduled per second
  int connections = 0;

  // Requests whose (scheduled) start fell in the measured window. Each one
  // is counted exactly once: succeeded (2xx) or failed.
  int64_t succeeded = 0;
  int64_t failed = 0;
  std::map<int, int64_t> http_errors;  // non-2xx responses by status
  std::map<std::string, int64_t> transport_errors;  // by TransportErrorName
  // Open loop only: requests scheduled in the window that were never sent
  // because every connection was still busy when the window closed.
  int64_t missed = 0;
  int64_t warmup_requests = 0;  // completed during warm-up, not counted
  int64_t reconnects = 0;       // stale keep-alive connections re-opened

  // From the window's start until its end or the last counted response,
  // whichever is later.
  double elapsed_seconds = 0;
  // Successful requests only, in microseconds; open loop measures from the
  // scheduled send time, so time spent waiting for a connection counts.
  LatencyHistogram latency;

  int64_t requests() const { return succeeded + failed; }
  // Successful requests per second.
  double throughput() const {
    return elapsed_seconds > 0
               ? static_cast<double>(succeeded) / elapsed_seconds
               : 0.0;
  }
};

class LevelStats {
 public:
  struct Snapshot {
    int64_t succeeded = 0;
    int64_t failed = 0;
    int64_t warmup_requests = 0;
    int64_t p50_micros = 0;
    int64_t p99_micros = 0;
  };

  void RecordSuccess(int64_t latency_micros);
  void RecordHttpError(int status);
  void RecordTransportError(TransportError error);
  void RecordWarmup();
  void RecordReconnects(int64_t count);

  // Counts and current percentiles, for the progress line.
  Snapshot Peek() const;

  // Moves what was recorded into `result` (counts, errors, latency).
  void MoveInto(LevelResult* result);

 private:
  mutable absl::Mutex mu_;
  LevelResult totals_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd::bench
