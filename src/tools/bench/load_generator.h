#pragma once

// Drives one load level against an HTTP target and measures it.
//
// Closed loop (`concurrency` > 0): that many workers, each with its own
// keep-alive connection, send the next request as soon as the last one is
// answered. Open loop (`request_rate` > 0): requests are due on a fixed
// schedule (constant gaps or Poisson arrivals) whatever the server does; a
// pool of connections picks them up, and latency runs from the scheduled
// time, not the send time, so a server that falls behind shows its queueing
// in the percentiles instead of hiding it (coordinated omission).
//
// Each level runs `warmup` (requests not counted) and then `duration`. No new
// request starts after the window closes; those in flight finish (at most
// --timeout) and count.
//
// Thread-safety: RunLevel() blocks the calling thread, which only reports
// progress; the I/O runs on `io_threads` threads of its own. One RunLevel()
// at a time per LoadGenerator.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/ip/tcp.hpp"
#include "tools/bench/level_stats.h"
#include "tools/bench/request_source.h"

namespace inferd::bench {

struct LevelSpec {
  int concurrency = 0;      // closed loop when > 0
  double request_rate = 0;  // open loop when > 0 (wins over concurrency)
  bool poisson = false;     // open loop: exponential gaps instead of equal
  int connections = 64;     // open loop: connection pool size
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration duration = absl::Seconds(10);
  uint64_t seed = 1;  // Poisson arrivals
};

// What the progress line shows, taken about twice a second.
struct LevelProgress {
  bool warming_up = true;
  double phase_elapsed_seconds = 0;  // into the warm-up or the window
  double phase_seconds = 0;          // the warm-up's or window's length
  LevelStats::Snapshot stats;
};

class LoadGenerator {
 public:
  struct Options {
    std::vector<boost::asio::ip::tcp::endpoint> endpoints;
    std::string host_header;
    std::vector<std::pair<std::string, std::string>> headers;  // with every request
    const RequestSource* requests = nullptr;  // not owned; outlives RunLevel
    absl::Duration timeout = absl::Seconds(30);
    int io_threads = 1;
  };

  explicit LoadGenerator(Options options);

  // Runs one level and returns its figures. `on_progress` (may be empty) is
  // called on the calling thread about every `progress_interval`.
  LevelResult RunLevel(
      const LevelSpec& spec,
      const std::function<void(const LevelProgress&)>& on_progress,
      absl::Duration progress_interval = absl::Milliseconds(500));

 private:
  Options options_;
};

}  // namespace inferd::bench
